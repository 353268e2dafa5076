#!/usr/bin/env node
// Conformance check of the assisted-emulator against the real API spec.
//
// Reads the JSON lines written by `assisted-emulator --record FILE` and
// validates every response body against the swagger response schema of its
// operation and status, and every JSON request body against the operation's
// body parameter schema. Prints each failure with the operation, the status
// and the JSON path; exits 1 on any failure, 2 on usage/setup errors.
//
// Swagger 2.0 is turned into JSON Schema for Ajv as follows:
//  - `x-nullable: true` allows null; arrays also accept null (Go marshals a
//    nil slice as null, e.g. steps.instructions);
//  - objects that list `properties` and say nothing about
//    `additionalProperties` get `additionalProperties: false`: the Go service
//    can neither emit nor (ENABLE_REJECT_UNKNOWN_FIELDS) accept other fields;
//  - `allOf` of objects is flattened (host_registration_response);
//  - `x-*` extension keys are dropped, `readOnly` and `discriminator` ignored;
//  - formats: ajv-formats for date-time/uuid/ipv4/ipv6/...; unknown ones
//    (mac, cidr, int32, binary, ...) are accepted as any string/number.
//
// With --requests it checks the requests of a client run instead (the
// swarm's, tests/swarm/conformance_swarm.sh): every request ran an operation
// of the swagger (only the API generation probe may match none) and was
// answered 2xx; its path and query parameters are declared, of their type,
// format and enum, required ones present; its Accept is the operation's
// `produces` and its Content-Type the first `consumes` with a body (none
// without), as go-swagger clients send them; JSON bodies validate against
// the body parameter's schema.
//
// usage: node validate.js [--spec SWAGGER.yaml] [--requests] RECORD.jsonl [...]
'use strict';

const fs = require('fs');
const path = require('path');

let SwaggerParser, Ajv, addFormats;
try {
  SwaggerParser = require('@apidevtools/swagger-parser');
  Ajv = require('ajv');
  addFormats = require('ajv-formats');
} catch (e) {
  console.error('conformance: node modules missing (run tests/emulator/conformance/install.sh): ' +
                e.message);
  process.exit(77);
}

function usage(msg) {
  console.error('conformance: ' + msg);
  console.error('usage: node validate.js [--spec SWAGGER.yaml] RECORD.jsonl [...]');
  process.exit(2);
}

const args = process.argv.slice(2);
let specPath = null;
let requestsMode = false;
const records = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--spec') specPath = args[++i];
  else if (args[i] === '--requests') requestsMode = true;
  else records.push(args[i]);
}
if (!specPath) {
  const shared = process.env.SWARM_SHARED_DIR;
  if (!shared) usage('no --spec and SWARM_SHARED_DIR is not set');
  specPath = path.join(shared, 'reference', 'assisted-service-swagger.yaml');
}
if (records.length === 0) usage('no record file');

// ---- schema conversion ---------------------------------------------------------------------

function resolveRef(spec, ref) {
  const m = /^#\/definitions\/(.+)$/.exec(ref);
  if (!m || !spec.definitions[m[1]]) throw new Error('unresolvable $ref ' + ref);
  return spec.definitions[m[1]];
}

// Flattens allOf members (resolving one level of $ref) into one object schema.
function flattenAllOf(spec, s) {
  const out = { type: 'object', properties: {}, required: [] };
  for (const part0 of s.allOf) {
    const part = part0.$ref ? resolveRef(spec, part0.$ref) : part0;
    if (part.allOf) Object.assign(part, flattenAllOf(spec, part));
    Object.assign(out.properties, part.properties || {});
    out.required.push(...(part.required || []));
  }
  for (const [k, v] of Object.entries(s)) if (k !== 'allOf') out[k] = v;
  if (out.required.length === 0) delete out.required;
  return out;
}

function convert(spec, s) {
  if (Array.isArray(s)) return s.map((x) => convert(spec, x));
  if (!s || typeof s !== 'object') return s;
  if (s.allOf) s = flattenAllOf(spec, s);
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-') || k === 'discriminator' || k === 'readOnly' || k === 'example') continue;
    if (k === 'properties' || k === 'definitions') {
      out[k] = {};
      for (const [pk, pv] of Object.entries(v)) out[k][pk] = convert(spec, pv);
    } else {
      out[k] = convert(spec, v);
    }
  }
  if (out.type === 'object' && out.properties && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  if (out.type === 'file') return {};
  const nullable = s['x-nullable'] === true || out.type === 'array';
  if (nullable) {
    if (out.$ref) return { anyOf: [out, { type: 'null' }] };
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = out.enum.concat([null]);
  }
  return out;
}

// go-openapi's own error body (errors.apiError): any code, e.g. 400 for a body
// that does not parse; infra_error is the same shape restricted to 401..403.
const FRAMEWORK_ERROR = {
  type: 'object', required: ['code', 'message'], additionalProperties: false,
  properties: { code: { type: 'integer' }, message: { type: 'string' } },
};

// ---- main ------------------------------------------------------------------------------

async function main() {
  const spec = await SwaggerParser.parse(specPath);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  for (const f of ['mac', 'cidr', 'int32', 'int64', 'double', 'float', 'binary', 'string',
                   'byte', 'password', 'hostname']) {
    if (!ajv.formats[f]) ajv.addFormat(f, true);
  }
  const defs = {};
  for (const [name, d] of Object.entries(spec.definitions)) defs[name] = convert(spec, d);
  ajv.addSchema({ $id: 'spec', definitions: defs });
  const refFix = (s) => JSON.parse(JSON.stringify(s).replace(/"#\/definitions\//g, '"spec#/definitions/'));

  // operationId -> {method, path, op, bodySchema}
  const ops = new Map();
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || !op.operationId) continue;
      const params = (op.parameters || []).concat(item.parameters || []);
      const body = params.find((x) => x.in === 'body');
      ops.set(op.operationId, { method: method.toUpperCase(), path: p, op, body });
    }
  }
  const cache = new Map();
  function validator(key, schema) {
    if (!cache.has(key)) cache.set(key, ajv.compile(refFix(convert(spec, schema))));
    return cache.get(key);
  }
  if (requestsMode) {
    process.exit(checkRequests(spec, ops, validator));
  }

  let lines = 0, checked = 0, skipped = 0;
  const failures = [];
  const notes = new Map();
  const note = (rec, msg) => {
    const k = `${rec.operation} -> ${rec.status}: ${msg}`;
    notes.set(k, (notes.get(k) || 0) + 1);
  };
  const perOp = new Map();
  const fail = (rec, where, msg) => failures.push(`${rec.operation} ${rec.method} ${rec.path} ` +
                                                  `-> ${rec.status}: ${where}: ${msg}`);
  for (const file of records) {
    const text = fs.readFileSync(file, 'utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      lines++;
      let rec;
      try { rec = JSON.parse(line); } catch (e) { failures.push(`${file}: bad JSON line: ${e.message}`); continue; }
      const o = ops.get(rec.operation);
      if (!o || rec.fault || !rec.status) { skipped++; continue; }
      perOp.set(rec.operation, (perOp.get(rec.operation) || 0) + 1);
      checked++;
      // response
      const responses = o.op.responses || {};
      const r = responses[String(rec.status)] || responses.default;
      const isJson = (rec.response_content_type || '').includes('json');
      let body;
      if (isJson && rec.response_body_len > 0) {
        try { body = JSON.parse(rec.response_body); } catch (e) {
          fail(rec, 'response', 'body is not JSON: ' + e.message);
        }
      }
      // The Go service answers some statuses its swagger does not declare
      // (409 on progress, 401 from the auth middleware) and go-openapi
      // framework errors (parse/validation, auth) use infra_error instead of
      // error: accepted as notes when the body has one of the two error shapes.
      const errorShape = () => body !== undefined && rec.status >= 400 &&
        (validator('framework_error', FRAMEWORK_ERROR)(body) ||
         validator('error', { $ref: '#/definitions/error' })(body));
      if (!r) {
        if (errorShape()) note(rec, `undeclared status ${rec.status} with an error body`);
        else fail(rec, 'status', `status ${rec.status} is not declared for ${rec.operation}`);
      } else if (r.schema && r.schema.type !== 'file') {
        if (!isJson) {
          fail(rec, 'response', `content type ${rec.response_content_type} for a JSON schema`);
        } else if (body !== undefined) {
          const v = validator(`${rec.operation}:${rec.status}:resp`, r.schema);
          if (!v(body)) {
            if (errorShape()) {
              note(rec, `framework error body instead of the declared schema`);
            } else {
              for (const e of v.errors) fail(rec, 'response' + e.instancePath, e.message +
                (e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : '') +
                (e.params && e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : ''));
            }
          }
        }
      } else if (!r.schema && rec.response_body_len > 0) {
        fail(rec, 'response', `status ${rec.status} declares no body but ${rec.response_body_len} bytes were sent`);
      }
      // request (only for answered 2xx requests; refused ones are the emulator's point)
      if (o.body && rec.status >= 200 && rec.status < 300 &&
          (rec.request_content_type || '').includes('json') && rec.request_body_len > 0) {
        let body;
        try { body = JSON.parse(rec.request_body); } catch (e) {
          fail(rec, 'request', 'accepted body is not JSON: ' + e.message); continue;
        }
        const v = validator(`${rec.operation}:req`, o.body.schema);
        if (!v(body)) for (const e of v.errors) fail(rec, 'request' + e.instancePath, e.message +
          (e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : ''));
      }
    }
  }
  for (const [k, n] of notes) console.log(`note ${k} (x${n})`);
  const uniq = [...new Set(failures)];
  for (const f of uniq.slice(0, 200)) console.log('FAIL ' + f);
  if (uniq.length > 200) console.log(`... ${uniq.length - 200} more distinct failures`);
  console.log(`conformance: ${lines} exchanges, ${checked} checked over ${perOp.size} operations, ` +
              `${skipped} skipped (faults/unknown), ${failures.length} failures (${uniq.length} distinct)`);
  process.exit(uniq.length ? 1 : 0);
}

// ---- requests of a client run ------------------------------------------------------------

// A parameter's value (a string from the URL) as JSON for its schema.
function typed(param, v) {
  if (param.type === 'integer' || param.type === 'number') return /^-?[0-9.eE+]+$/.test(v) ? Number(v) : v;
  if (param.type === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
  return v;
}

function paramSchema(p) {
  const s = {};
  for (const k of ['type', 'format', 'enum', 'items', 'minimum', 'maximum', 'pattern']) {
    if (p[k] !== undefined) s[k] = p[k];
  }
  return s;
}

function checkRequests(spec, ops, validator) {
  const base = spec.basePath || '';
  const failures = [];
  let lines = 0;
  const perOp = new Map();
  const fail = (rec, msg) => failures.push(`${rec.operation} ${rec.method} ${rec.path}: ${msg}`);
  for (const file of records) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      lines++;
      let rec;
      try { rec = JSON.parse(line); } catch (e) { failures.push(`${file}: bad JSON line: ${e.message}`); continue; }
      const o = ops.get(rec.operation);
      if (!o) {
        const probe = rec.method === 'GET' && /\/v2\/clusters\/[^/]+\/progress$/.test(rec.path) &&
          (rec.status === 404 || rec.status === 405);
        if (!probe) fail(rec, 'no operation of the swagger');
        continue;
      }
      perOp.set(rec.operation, (perOp.get(rec.operation) || 0) + 1);
      if (rec.status < 200 || rec.status > 299) fail(rec, `answered ${rec.status} in a healthy run`);
      if (rec.method !== o.method) fail(rec, `method ${rec.method}, the operation's is ${o.method}`);
      const params = (o.op.parameters || []).concat(spec.paths[o.path].parameters || []);
      // path parameters
      const names = [];
      const re = new RegExp('^' + (base + o.path).replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{([^}]+)\}/g, (m, n) => { names.push(n); return '([^/]+)'; }) + '$');
      const pm = re.exec(rec.path);
      if (!pm) fail(rec, `path does not match ${base + o.path}`);
      names.forEach((n, i) => {
        const p = params.find((x) => x.in === 'path' && x.name === n);
        if (!p || !pm) return;
        const v = validator(`path:${rec.operation}:${n}`, paramSchema(p));
        if (!v(typed(p, decodeURIComponent(pm[i + 1])))) fail(rec, `path parameter ${n}: ${v.errors[0].message}`);
      });
      // query parameters
      const q = new URLSearchParams(rec.query || '');
      const seen = new Set();
      for (const [k, val] of q) {
        const p = params.find((x) => x.in === 'query' && x.name === k);
        if (!p) { fail(rec, `query parameter '${k}' is not declared`); continue; }
        seen.add(k);
        const v = validator(`query:${rec.operation}:${k}`, paramSchema(p));
        const value = p.type === 'array' ? val.split(',') : typed(p, val);
        if (!v(value)) fail(rec, `query parameter ${k}=${val}: ${v.errors[0].message}`);
      }
      for (const p of params) {
        if (p.in === 'query' && p.required && !seen.has(p.name)) fail(rec, `required query parameter '${p.name}' missing`);
      }
      // Accept and Content-Type, as a go-swagger client sends them
      const produces = o.op.produces || spec.produces || [];
      const consumes = o.op.consumes || spec.consumes || [];
      if (rec.request_accept !== produces.join(', ')) {
        fail(rec, `Accept '${rec.request_accept}', the operation produces [${produces.join(', ')}]`);
      }
      const ct = rec.request_content_type ? rec.request_content_type.split(';')[0].trim().toLowerCase() : null;
      if (rec.request_body_len > 0) {
        if (ct !== consumes[0]) fail(rec, `Content-Type '${rec.request_content_type}', the operation consumes [${consumes.join(', ')}]`);
      } else if (rec.request_content_type) {
        fail(rec, `Content-Type '${rec.request_content_type}' without a body`);
      }
      // the body
      const body = params.find((x) => x.in === 'body');
      if (body && ct && ct.includes('json') && rec.request_body_len > 0) {
        let b;
        try { b = JSON.parse(rec.request_body); } catch (e) { fail(rec, 'body is not JSON: ' + e.message); continue; }
        const v = validator(`${rec.operation}:req`, body.schema);
        if (!v(b)) {
          for (const e of v.errors) {
            fail(rec, 'body' + e.instancePath + ': ' + e.message +
              (e.params && e.params.additionalProperty ? ` '${e.params.additionalProperty}'` : ''));
          }
        }
      }
    }
  }
  const uniq = [...new Set(failures)];
  for (const f of uniq.slice(0, 200)) console.log('FAIL ' + f);
  if (uniq.length > 200) console.log(`... ${uniq.length - 200} more distinct failures`);
  console.log(`conformance (requests): ${lines} requests over ${perOp.size} operations, ` +
              `${failures.length} failures (${uniq.length} distinct)`);
  return uniq.length ? 1 : 0;
}

main().catch((e) => { console.error('conformance: ' + (e.stack || e)); process.exit(2); });
