import { describe, it, expect } from 'vitest';
import {
  TASK_ID_PREFIX,
  consumedCredits,
  isDue,
  isTerminal,
  plannedSettlement,
  snapshotOf,
} from '../../mock-server/src/domain/tasks.js';
import { makeTask } from '../support/task-fixture.js';

const task = makeTask;

describe('isTerminal', () => {
  it('is false only while IN_PROGRESS', () => {
    expect(isTerminal({ status: 'IN_PROGRESS' })).toBe(false);
    expect(isTerminal({ status: 'SUCCESS' })).toBe(true);
    expect(isTerminal({ status: 'FAILED' })).toBe(true);
  });
});

describe('consumedCredits', () => {
  it('holds the price while in progress and after success, 0 after a failure', () => {
    expect(consumedCredits({ status: 'IN_PROGRESS', price: 18 })).toBe(18);
    expect(consumedCredits({ status: 'SUCCESS', price: 18 })).toBe(18);
    expect(consumedCredits({ status: 'FAILED', price: 18 })).toBe(0);
  });
});

describe('isDue', () => {
  it('by time: not before readyAt, from readyAt on', () => {
    const t = task();
    expect(isDue(t, 4_999)).toBe(false);
    expect(isDue(t, 5_000)).toBe(true);
    expect(isDue(t, 9_999_999)).toBe(true);
  });

  it('by polls: only from the n-th poll, whatever the time', () => {
    const plan = { readyAt: null, completeOnPoll: 3 };
    expect(isDue(task({ polls: 0 }, plan), Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isDue(task({ polls: 2 }, plan), Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isDue(task({ polls: 3 }, plan), 0)).toBe(true);
    expect(isDue(task({ polls: 4 }, plan), 0)).toBe(true);
  });

  it('never for a terminal task', () => {
    expect(isDue(task({ status: 'SUCCESS' }), 10_000)).toBe(false);
    expect(isDue(task({ status: 'FAILED', polls: 9 }, { readyAt: null, completeOnPoll: 1 }), 10_000)).toBe(
      false,
    );
  });

  it('never for a task with neither a time nor a poll count', () => {
    expect(isDue(task({}, { readyAt: null, completeOnPoll: null }), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('plannedSettlement', () => {
  it('a success settles at its planned time, not when it is read', () => {
    expect(plannedSettlement(task(), 60_000)).toEqual({ status: 'SUCCESS', at: 5_000, errorMessage: null });
  });

  it('a failure carries its planned message', () => {
    const t = task({}, { outcome: 'failed', errorMessage: 'boom' });
    expect(plannedSettlement(t, 7_000)).toEqual({ status: 'FAILED', at: 5_000, errorMessage: 'boom' });
  });

  it('never settles in the future', () => {
    expect(plannedSettlement(task(), 3_000).at).toBe(3_000);
  });

  it('a poll-driven task settles now', () => {
    expect(plannedSettlement(task({ polls: 3 }, { readyAt: null, completeOnPoll: 3 }), 42_000).at).toBe(
      42_000,
    );
  });
});

describe('snapshotOf', () => {
  it('keeps the documented fields', () => {
    expect(snapshotOf({ prompt: 'p', aspectRatio: '16:9', quality: 'high' })).toEqual({
      prompt: 'p',
      aspectRatio: '16:9',
      quality: 'high',
    });
  });

  it('omits an empty imageUrls and a single-image numImages', () => {
    const snapshot = snapshotOf({
      prompt: 'p',
      aspectRatio: '1:1',
      quality: 'basic',
      imageUrls: [],
      numImages: 1,
    });
    expect(snapshot).toEqual({ prompt: 'p', aspectRatio: '1:1', quality: 'basic' });
    expect('imageUrls' in snapshot).toBe(false);
    expect('numImages' in snapshot).toBe(false);
  });

  it('keeps non-empty imageUrls as a copy, and numImages 4', () => {
    const urls = ['https://example.com/a.jpg'];
    const snapshot = snapshotOf({
      prompt: 'p',
      aspectRatio: '1:1',
      quality: 'basic',
      imageUrls: urls,
      numImages: 4,
    });
    expect(snapshot).toEqual({
      prompt: 'p',
      aspectRatio: '1:1',
      quality: 'basic',
      imageUrls: urls,
      numImages: 4,
    });
    urls.push('https://example.com/b.jpg');
    expect(snapshot.imageUrls).toEqual(['https://example.com/a.jpg']);
  });

  it('drops fields that are not documented', () => {
    const request = { prompt: 'p', aspectRatio: '1:1' as const, quality: 'basic' as const, extra: 'x' };
    expect(Object.keys(snapshotOf(request)).sort()).toEqual(['aspectRatio', 'prompt', 'quality']);
  });
});

describe('TASK_ID_PREFIX', () => {
  it('is sd45_', () => {
    expect(TASK_ID_PREFIX).toBe('sd45_');
  });
});
