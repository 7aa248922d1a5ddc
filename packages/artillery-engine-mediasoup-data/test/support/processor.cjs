'use strict';
// Processor functions of the test scenarios (`function` steps).

// Counts the bot under the Artillery worker thread that runs it (LOCAL_WORKER_ID is set
// by artillery/lib/platform/local/worker.js), so that a test sees how many workers ran bots.
function countWorker(context, ee, next) {
  ee.emit('counter', `test.worker.${process.env.LOCAL_WORKER_ID ?? 'main'}`, 1);
  next();
}

module.exports = { countWorker };
