/**
 * The few IAM and STS calls the local cloud makes to moto (create the stack's roles, assume them),
 * in the Query protocol. The project has no IAM or STS SDK client, and the harness's key is one
 * moto accepts with any signature (local/moto_iam.py), so requests carry its credential scope
 * only.
 */
import { NamedError } from '../errors.js';

export class IamApiError extends NamedError {
  override readonly name = 'IamApiError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AssumedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** "<role id>:<session name>", IAM's aws:userid of the session. */
  assumedRoleId: string;
  arn: string;
}

const VERSIONS = { iam: '2010-05-08', sts: '2011-06-15' } as const;

function tag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1]?.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');
}

export class MotoIamClient {
  constructor(
    private readonly endpoint: string,
    private readonly accessKeyId: string,
    private readonly region = 'us-east-1',
  ) {}

  async call(service: keyof typeof VERSIONS, action: string, params: Record<string, string> = {}): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: VERSIONS[service], ...params }).toString();
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const response = await fetch(this.endpoint, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-amz-date': date,
        authorization: `AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/${date.slice(0, 8)}/${this.region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
      },
    });
    const text = await response.text();
    if (!response.ok) throw new IamApiError(tag(text, 'Code') ?? String(response.status), `${service}:${action} failed: ${tag(text, 'Message') ?? text}`);
    return text;
  }

  /** IAM's unique id of a role ("AROA..."), the first half of its sessions' aws:userid. */
  async createRole(name: string, trustPolicy: unknown): Promise<string> {
    const xml = await this.call('iam', 'CreateRole', { RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trustPolicy) });
    return tag(xml, 'RoleId') ?? '';
  }

  async assumeRole(roleArn: string, sessionName: string, durationSeconds = 43_200): Promise<AssumedCredentials> {
    const xml = await this.call('sts', 'AssumeRole', { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: String(durationSeconds) });
    const credentials = {
      accessKeyId: tag(xml, 'AccessKeyId'),
      secretAccessKey: tag(xml, 'SecretAccessKey'),
      sessionToken: tag(xml, 'SessionToken'),
      assumedRoleId: tag(xml, 'AssumedRoleId'),
      arn: tag(xml, 'Arn'),
    };
    for (const [key, value] of Object.entries(credentials)) {
      if (value === undefined) throw new IamApiError('MalformedResponse', `sts:AssumeRole answered without ${key}: ${xml.slice(0, 300)}`);
    }
    return credentials as AssumedCredentials;
  }
}
