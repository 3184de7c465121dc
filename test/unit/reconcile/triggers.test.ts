// The controller's triggers: cron expressions (resync, snapshot schedules) checked up front, the problem named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronExpressionError, checkCron } from '../../../src/reconcile/triggers.js';

describe('triggers', () => {
  it('checkCron accepts 5 and 6 fields and names the problem otherwise', () => {
    checkCron('* * * * *', 'x');
    checkCron('*/2 * * * * *', 'x');
    assert.throws(() => checkCron('* * * *', 'resync'), CronExpressionError);
    assert.throws(
      () => checkCron('61 * * * *', 'resync'),
      /resync: "61 \* \* \* \*" is not a cron expression/,
    );
  });
});
