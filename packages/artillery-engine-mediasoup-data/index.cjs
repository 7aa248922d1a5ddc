'use strict';
// Artillery 2 loads an engine with require('artillery-engine-<name>') and calls
// `new Engine(script, ee, helpers)` on what it gets: the module itself must be the class. Its
// named exports (parseEngineConfig, parseFlow, ...) ride along as static properties.
const lib = require('./dist/cjs/index.js');

module.exports = lib.MediasoupDataEngine;
Object.assign(module.exports, lib);
