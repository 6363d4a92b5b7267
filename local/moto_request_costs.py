"""Work moto 5.2.1's server repeats on every request, done once.

- Routing. Every request finds its backend by listing and stat-ing moto's ~180 package directories,
  then trying ~180 URL patterns against its host, under the server's one global lock. The answer
  depends on the host alone, so it is kept per host.
- Service models. moto caches a service's model only once its first load has completed, and every
  load makes a new botocore loader that lists botocore's ~400 service directories again. When a
  local cloud starts, its function workers and task agents send ~20 sts:AssumeRole requests at the
  same moment: each missed the cache and paid for the listing, about 3 s of moto's CPU per start
  and up to 2 s of latency per request. One shared loader lists the directories once, and each
  model is loaded by one request while the others that need it wait.
- JSONPath. jsonpath_ng's parse() builds a new ply parser on every call (yacc reads its grammar and
  stats its source files: about 22 ms of CPU). moto's EventBridge parses eight paths per event and
  target (the default input transformer), and its Step Functions interpreter parses every path of
  every state it runs, so each PutEvents cost 40 to 80 ms of moto's CPU. A parsed path is never
  changed by find() or update_or_create(), so each path string is parsed once.
"""
import functools
import threading

import jsonpath_ng
import jsonpath_ng.ext

from botocore.loaders import create_loader
from moto.core import utils
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_loader = create_loader()
_lock = threading.Lock()
_models = {}


def _load_service_model(service_name, model_name):
    key = (service_name, model_name)
    with _lock:
        if key not in _models:
            _models[key] = _loader.load_service_model(service_name, model_name)
        return _models[key]


def _keep_parsed_paths():
    jsonpath_ng.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.parse)
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)
    # These bound `parse` when they were imported (the launcher imports Step Functions first);
    # EventBridge imports it at each call, so it finds the module attribute above.
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    result_path.parse = jsonpath_ng.parse
    json_path.parse = jsonpath_ng.ext.parse


def install():
    _keep_parsed_paths()
    # moto's get_service_model and get_pagination_model look this name up in their module at each call.
    utils._load_service_model = _load_service_model

    find_backend = DomainDispatcherApplication.get_backend_for_host
    backends_by_host = {}

    def get_backend_for_host(self, host):
        # Called under the dispatcher's lock, so the dictionary needs no lock of its own.
        if host not in backends_by_host:
            backends_by_host[host] = find_backend(self, host)
        return backends_by_host[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host
