// `amur help` lists the commands from the table in index.ts without loading any of them: each line
// there must be the command's own usage and summary, for every command and no other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commands, help } from './index.js';

test("the help table is every command's own usage and summary", async () => {
  assert.deepEqual(Object.keys(help), Object.keys(commands));
  for (const [name, load] of Object.entries(commands)) {
    const command = await load();
    assert.equal(command.name, name);
    assert.deepEqual(help[name], { usage: command.usage, summaryKey: command.summaryKey }, name);
  }
});
