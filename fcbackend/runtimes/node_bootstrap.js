'use strict';
/*
 * The in-instance agent of the built-in Node.js runtimes (nodejs*), the twin of
 * python_bootstrap.py: it starts generic, listening on a Unix socket, prints the ready line, and is
 * specialised by POST /__rosengine/specialise; then it serves the custom-runtime protocol (docs/reference/fc-runtime.md#custom-runtimes-and-containers)
 * by calling the user's CommonJS handler (docs/reference/fc-runtime.md#nodejs-handlers):
 *
 *   exports.handler = (event, context, callback) => callback(err, data)   // callback style
 *   exports.handler = async (event, context) => value                      // async style
 *
 * The event is a Buffer. Results: Buffer as-is, string as text, other objects as JSON, undefined/null
 * as an empty body. An error passed to the callback is a HandledInvocationError, a thrown/rejected
 * one an UnhandledInvocationError. console output is routed per request with AsyncLocalStorage,
 * so it stays apart when instanceConcurrency > 1, and returned base64 in x-rosengine-log.
 * HTTP invocations (/http-invoke) call handler(request, response, context) in FC 2.0 style
 * (request: headers, path, queries, method, clientIP, url; response: setStatusCode, setHeader,
 * deleteHeader, send) — the details of that API are UNCONFIRMED.
 */
const http = require('http');
const fs = require('fs');
const path = require('path');
const Module = require('module');
const { AsyncLocalStorage } = require('async_hooks');

const READY_LINE = '\u0000rosengine-ready\n';
const LOG_HEADER = 'x-rosengine-log';
const MAX_LOG = 1 << 20;
const store = new AsyncLocalStorage();
let config = null;
const handlers = {};

function logWrite(text) {
  const scope = store.getStore();
  if (scope) {
    if (scope.size < MAX_LOG) {
      const chunk = Buffer.from(String(text));
      scope.chunks.push(chunk);
      scope.size += chunk.length;
    }
  } else {
    process.stdout.write(String(text));
  }
}

function format(args) {
  const util = require('util');
  return util.format.apply(util, args);
}

function stamp() {
  return new Date().toISOString();
}

for (const [name, level] of [['log', 'INFO'], ['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['debug', 'DEBUG']]) {
  console[name] = (...args) => {
    const scope = store.getStore();
    const rid = scope ? scope.requestId : '';
    logWrite(`${stamp()} ${rid} [${level}] ${format(args)}\n`);
  };
}

function makeLogger() {
  const logger = {};
  for (const [name, level] of [['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['debug', 'DEBUG'], ['log', 'INFO']]) {
    logger[name] = (...args) => {
      const scope = store.getStore();
      logWrite(`${stamp()} ${scope ? scope.requestId : ''} [${level}] ${format(args)}\n`);
    };
  }
  return logger;
}

function resolveHandler(name, what) {
  if (handlers[name]) return handlers[name];
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) {
    throw Object.assign(new Error(`${what} '${name}' must look like 'file.function' (e.g. index.handler)`), { name: 'InvalidHandler' });
  }
  const file = name.slice(0, dot);
  const attr = name.slice(dot + 1);
  let mod;
  const base = path.join(config.code_dir, file);
  try {
    mod = require(base);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(base)) {
      throw Object.assign(new Error(`Unable to import module '${file}' for ${what} '${name}': ${err.message}`), { name: 'ImportModuleError' });
    }
    throw err;
  }
  const fn = mod && mod[attr];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${what} '${name}': module '${file}' has no function '${attr}'`), { name: 'HandlerNotFound' });
  }
  handlers[name] = fn;
  return fn;
}

function makeContext(headers) {
  return {
    requestId: headers['x-fc-request-id'] || '',
    credentials: {
      accessKeyId: headers['x-fc-access-key-id'] || '',
      accessKeySecret: headers['x-fc-access-key-secret'] || '',
      securityToken: headers['x-fc-security-token'] || '',
    },
    function: {
      name: config.function.name,
      handler: config.function.handler,
      memory: config.function.memory,
      timeout: config.function.timeout,
      initializer: config.function.initializer,
      initializationTimeout: config.function.initialization_timeout,
    },
    service: {
      name: config.service.name,
      logProject: config.service.log_project,
      logStore: config.service.log_store,
      qualifier: config.service.qualifier,
      versionId: config.service.version_id,
    },
    region: config.region,
    accountId: config.account_id,
    retryCount: Number(headers['x-fc-retry-count'] || 0),
    logger: makeLogger(),
  };
}

function errorDocument(err) {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : JSON.stringify(err));
  const stack = String(e.stack || '').split('\n').slice(1).map((l) => l.trim()).filter((l) => !l.includes('node_bootstrap.js'));
  return { errorMessage: e.message, errorType: e.name || 'Error', stackTrace: stack };
}

function toBody(value) {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value);
  if (typeof value === 'object') return Buffer.from(JSON.stringify(value));
  return Buffer.from(String(value));
}

// Calls fn with `args` plus a callback when it declares one; resolves to [handledError, value].
function callUser(fn, args, arity) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, data) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) resolve([err, undefined]);
      else resolve([null, data]);
    };
    try {
      const out = fn.length >= arity + 1 ? fn(...args, callback) : fn(...args);
      if (fn.length < arity + 1) {
        Promise.resolve(out).then((v) => { if (!settled) { settled = true; resolve([null, v]); } },
          (e) => { if (!settled) { settled = true; reject(e); } });
      } else if (out && typeof out.then === 'function') {
        out.then((v) => { if (!settled && v !== undefined) { settled = true; resolve([null, v]); } },
          (e) => { if (!settled) { settled = true; reject(e); } });
      }
    } catch (e) {
      settled = true;
      reject(e);
    }
  });
}

async function runScoped(requestId, label, work) {
  const scope = { requestId, chunks: [], size: 0 };
  return store.run(scope, async () => {
    logWrite(`FC ${label} Start RequestId: ${requestId}\n`);
    let result;
    try {
      result = await work();
    } catch (err) {
      const doc = errorDocument(err);
      logWrite(`${stamp()} ${requestId} [ERROR] ${doc.errorType}: ${doc.errorMessage}\n`);
      result = [404, { 'x-fc-status': '404', 'x-fc-error-type': 'UnhandledInvocationError' }, Buffer.from(JSON.stringify(doc))];
    }
    logWrite(`FC ${label} End RequestId: ${requestId}\n`);
    const [status, headers, body] = result;
    headers[LOG_HEADER] = Buffer.concat(scope.chunks).toString('base64');
    return [status, headers, body];
  });
}

async function invoke(headers, body) {
  return runScoped(headers['x-fc-request-id'] || '', 'Invoke', async () => {
    const fn = resolveHandler(config.handler, 'handler');
    const [handled, value] = await callUser(fn, [body, makeContext(headers)], 2);
    if (handled !== null) {
      const doc = errorDocument(handled);
      return [404, { 'x-fc-status': '404', 'x-fc-error-type': 'HandledInvocationError' }, Buffer.from(JSON.stringify(doc))];
    }
    return [200, {}, toBody(value)];
  });
}

async function hook(headers, key, what, label) {
  const name = config[key];
  if (!name) return [200, { [LOG_HEADER]: '' }, Buffer.alloc(0)];
  return runScoped(headers['x-fc-request-id'] || '', label, async () => {
    const fn = resolveHandler(name, what);
    const [handled] = await callUser(fn, [makeContext(headers)], 1);
    if (handled !== null) {
      const doc = errorDocument(handled);
      return [404, { 'x-fc-status': '404', 'x-fc-error-type': 'HandledInvocationError' }, Buffer.from(JSON.stringify(doc))];
    }
    return [200, {}, Buffer.alloc(0)];
  });
}

async function httpInvoke(req, headers, body) {
  let params = {};
  try { params = JSON.parse(Buffer.from(headers['x-fc-http-params'] || '', 'base64').toString() || '{}'); } catch (e) { params = {}; }
  return runScoped(headers['x-fc-request-id'] || '', 'Invoke', async () => {
    const fn = resolveHandler(config.handler, 'handler');
    const url = new URL(req.url, 'http://localhost');
    const queries = {};
    for (const [k, v] of url.searchParams) queries[k] = k in queries ? [].concat(queries[k], v) : v;
    const userHeaders = {};
    for (const [k, v] of Object.entries(headers)) if (!k.startsWith('x-fc-')) userHeaders[k] = v;
    const request = {
      headers: userHeaders, path: params.path || url.pathname, queries, method: req.method,
      clientIP: params.clientIP || '127.0.0.1', url: params.requestURI || req.url, body,
    };
    return new Promise((resolve, reject) => {
      const out = { status: 200, headers: {} };
      const response = {
        setStatusCode: (code) => { out.status = Number(code); },
        setHeader: (k, v) => { out.headers[k] = String(v); },
        deleteHeader: (k) => { delete out.headers[k]; },
        hasHeader: (k) => k in out.headers,
        send: (data) => resolve([out.status, Object.assign({ 'x-fc-status': '200' }, out.headers), toBody(data)]),
      };
      try {
        Promise.resolve(fn(request, response, makeContext(headers))).catch(reject);
      } catch (e) {
        reject(e);
      }
    });
  });
}

function specialise(cfg) {
  if (config !== null) throw new Error('this instance is already specialised');
  config = cfg;
  Object.assign(process.env, cfg.env || {});
  try { process.chdir(cfg.code_dir); } catch (e) { /* keep cwd */ }
  Module._initPaths();
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function dispatch(req, res) {
  const body = await readBody(req);
  const headers = req.headers;
  const pathname = req.url.split('?')[0];
  let status; let outHeaders; let out;
  if (pathname === '/__rosengine/ping') {
    [status, outHeaders, out] = [200, {}, Buffer.from('{}')];
  } else if (pathname === '/__rosengine/specialise') {
    try {
      specialise(JSON.parse(body.toString()));
      [status, outHeaders, out] = [200, {}, Buffer.from('{}')];
    } catch (err) {
      [status, outHeaders, out] = [500, { 'x-fc-error-type': 'FunctionNotStarted' }, Buffer.from(JSON.stringify(errorDocument(err)))];
    }
    res.setHeader('Connection', 'close');
  } else if (config === null) {
    [status, outHeaders, out] = [503, {}, Buffer.from('{"errorMessage": "instance not specialised yet"}')];
  } else {
    const control = headers['x-fc-control-path'] || '/invoke';
    if (control === '/invoke') [status, outHeaders, out] = await invoke(headers, body);
    else if (control === '/http-invoke') [status, outHeaders, out] = await httpInvoke(req, headers, body);
    else if (control === '/initialize') [status, outHeaders, out] = await hook(headers, 'initializer', 'initializer', 'Initialize');
    else if (control === '/pre-stop') [status, outHeaders, out] = await hook(headers, 'pre_stop', 'preStop handler', 'PreStop');
    else if (control === '/pre-freeze') [status, outHeaders, out] = await hook(headers, 'pre_freeze', 'preFreeze handler', 'PreFreeze');
    else [status, outHeaders, out] = [400, {}, Buffer.from(JSON.stringify({ errorMessage: `unknown control path ${control}` }))];
  }
  for (const [k, v] of Object.entries(outHeaders)) {
    const lower = k.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') continue;
    res.setHeader(k, v);
  }
  res.setHeader('Content-Length', out.length);
  res.writeHead(status);
  res.end(out);
}

function main() {
  const socketPath = process.argv[2];
  if (!socketPath) {
    process.stderr.write('usage: node node_bootstrap.js <unix socket path>\n');
    process.exit(2);
  }
  try { fs.unlinkSync(socketPath); } catch (e) { /* not there */ }
  const server = http.createServer((req, res) => {
    dispatch(req, res).catch((err) => {
      try {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(errorDocument(err)));
      } catch (e) { /* connection gone */ }
    });
  });
  server.keepAliveTimeout = 0; // the backend decides when a connection ends
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.listen(socketPath, () => process.stdout.write(READY_LINE));
  process.on('uncaughtException', (err) => {
    logWrite(`${stamp()}  [ERROR] uncaught: ${err && err.stack ? err.stack : err}\n`);
  });
  process.on('unhandledRejection', (err) => {
    logWrite(`${stamp()}  [ERROR] unhandled rejection: ${err && err.stack ? err.stack : err}\n`);
  });
}

main();
