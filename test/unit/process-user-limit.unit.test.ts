import { putItem } from '../../src/app/items';
import { processCommands } from '../../src/app/process-commands';
import { tallyId } from '../../src/domain/ids';
import type { UserTally } from '../../src/domain/model';
import { cancel, fixedClock, ITEM, reserve } from '../support/domain-fixtures';
import { brief, useProcessorHarness } from '../support/processor-harness';

const h = useProcessorHarness('user-limit-');

async function put(available: number, maxPerUser?: number | null): Promise<void> {
  const current = await h.t.store.read(ITEM, ITEM);
  const spec = { inventoryId: ITEM, available, ...(maxPerUser !== undefined ? { maxPerUser } : {}) };
  const result = await putItem({ store: h.t.store, clock: fixedClock }, spec, current?.etag);
  if (result.kind !== 'created' && result.kind !== 'replaced') throw new Error(result.kind);
}

async function tally(userId = 'user-1'): Promise<UserTally | undefined> {
  return (await h.t.store.read<UserTally>(ITEM, tallyId(userId)))?.doc;
}

describe('processCommands with a per-user limit', () => {
  it('holds exactly the limit of 50 reservations of one user in one group, and writes the tally with them', async () => {
    await put(100, 3);
    const commands = Array.from({ length: 50 }, (_, i) => reserve(`r-${i}`, 1));
    const outcomes = await processCommands(ITEM, commands, h.deps());
    expect(brief(outcomes).filter((o) => o === 'applied')).toHaveLength(3);
    expect(brief(outcomes).slice(3)).toEqual(Array(47).fill('rejected:USER_LIMIT_EXCEEDED'));
    expect(await tally()).toMatchObject({ held: 3, confirmed: 0 });
    expect((await h.itemDoc()).doc).toMatchObject({ available: 97, reserved: 3 });
  });

  it('counts holds taken before a limit was set, from the reservations themselves', async () => {
    await put(100);
    await processCommands(ITEM, [reserve('r-1', 1), reserve('r-2', 1)], h.deps());
    expect(await tally()).toBeUndefined();
    await put(100, 3);
    const outcomes = await processCommands(ITEM, [reserve('r-3', 2), reserve('r-4', 1)], h.deps());
    expect(brief(outcomes)).toEqual(['rejected:USER_LIMIT_EXCEEDED', 'applied']);
    expect(await tally()).toMatchObject({ held: 3 });
  });

  it('counts again after the limit was removed and set anew, when the kept tally went stale', async () => {
    await put(100, 2);
    await processCommands(ITEM, [reserve('r-1', 2)], h.deps());
    await put(100, null);
    await processCommands(ITEM, [cancel('r-1'), reserve('r-2', 1)], h.deps());
    expect(await tally()).toMatchObject({ held: 2 }); // not kept up while there was no limit
    await put(100, 2);
    const outcomes = await processCommands(ITEM, [reserve('r-3', 2), reserve('r-4', 1)], h.deps());
    expect(brief(outcomes)).toEqual(['rejected:USER_LIMIT_EXCEEDED', 'applied']);
    expect(await tally()).toMatchObject({ held: 2 });
  });

  it('gives a cancelled hold back to the user across groups, and limits each user apart', async () => {
    await put(100, 2);
    await processCommands(ITEM, [reserve('r-1', 2), reserve('r-2', 2, { userId: 'user-2' })], h.deps());
    await processCommands(ITEM, [cancel('r-1')], h.deps());
    const outcomes = await processCommands(
      ITEM,
      [reserve('r-3', 2), reserve('r-4', 1, { userId: 'user-2' })],
      h.deps(),
    );
    expect(brief(outcomes)).toEqual(['applied', 'rejected:USER_LIMIT_EXCEEDED']);
    expect(await tally('user-1')).toMatchObject({ held: 2 });
    expect(await tally('user-2')).toMatchObject({ held: 2 });
  });
});
