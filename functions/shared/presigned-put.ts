import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A PUT of a body to a presigned URL (CloudFormation's ResponseURL for a custom resource's answer).
 * Sent as AWS's cfn-response module sends it (AWS CloudFormation User Guide, "cfn-response module"):
 * an empty content-type, because the URL is presigned for a PUT without one, and S3 refuses a
 * request whose signed headers differ. Rejects unless the server answers 2xx within timeoutMs.
 */
export function putPresigned(url: string, body: string, timeoutMs: number): Promise<void> {
  const payload = Buffer.from(body, 'utf8');
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': '', 'content-length': payload.byteLength }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`PUT to the presigned URL answered HTTP ${status}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`PUT to the presigned URL took longer than ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
