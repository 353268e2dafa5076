#!/usr/bin/env node
// Validates results files against scenarios/results.schema.json with Ajv
// (a real JSON Schema validator, installed by tests/emulator/conformance/install.sh).
// Usage: node results_schema.js SCHEMA FILE...   Exit 0 valid, 1 invalid, 77 Ajv missing.
'use strict';
const fs = require('fs');
const path = require('path');
const modules = path.join(process.env.SWARM_SOURCE_ROOT || path.join(__dirname, '..', '..'),
  'tests', 'emulator', 'conformance', 'node_modules');
let Ajv;
try {
  Ajv = require(path.join(modules, 'ajv'));
} catch (e) {
  console.log(`Ajv not installed under ${modules} (run tests/emulator/conformance/install.sh): skipping`);
  process.exit(77);
}
const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) {
  console.error('usage: results_schema.js SCHEMA FILE...');
  process.exit(2);
}
const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
let bad = 0;
for (const f of files) {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (validate(doc)) {
    console.log(`${f}: valid`);
  } else {
    bad++;
    for (const e of validate.errors.slice(0, 20))
      console.error(`${f}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}
process.exit(bad ? 1 : 0);
