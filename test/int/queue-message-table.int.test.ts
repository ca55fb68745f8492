import Database from 'better-sqlite3';
import { MessageTable, type PendingRow } from '../../src/adapters/embedded/queue/message-table';

const pending = (n: number): PendingRow => ({
  messageId: `m-${n}`,
  sessionId: `s-${n % 7}`,
  body: JSON.stringify({ n }),
  subject: 'Reserve',
  properties: null,
  scheduledAt: null,
});

describe('the queue message table', () => {
  it('reads every committed message as written, from memory or from the file, and nothing once deleted', () => {
    const db = new Database(':memory:');
    const table = new MessageTable(db, 600_000);
    const now = 1_000;
    // More than the rows kept in memory: the oldest are read back from the file.
    const inserted = table.insert(
      [{ rows: Array.from({ length: 20_100 }, (_, n) => pending(n)) }],
      () => now,
    );
    expect(inserted.entries).toHaveLength(20_100);
    for (const index of [0, 99, 100, 20_099]) {
      const entry = inserted.entries[index];
      if (!entry) throw new Error(`no entry ${index}`);
      expect(table.read(entry.seq)).toEqual({
        message_id: `m-${index}`,
        session_id: `s-${index % 7}`,
        body: JSON.stringify({ n: index }),
        subject: 'Reserve',
        properties: null,
        available_at: now,
      });
    }
    const [first, , , last] = [0, 99, 100, 20_099].map((i) => inserted.entries[i]?.seq ?? -1);
    table.delete([first ?? -1, last ?? -1]);
    expect(table.read(first ?? -1)).toBeUndefined();
    expect(table.read(last ?? -1)).toBeUndefined();
    db.close();
  });

  it('forgets a message once it is dead-lettered, which the dead-letter table then holds', () => {
    const db = new Database(':memory:');
    const table = new MessageTable(db, 600_000);
    const inserted = table.insert([{ rows: [pending(1)] }], () => 1_000);
    const entry = inserted.entries[0];
    if (!entry) throw new Error('nothing inserted');
    table.moveToDeadLetters(entry, 'poison', 'cannot be processed', 2_000);
    expect(table.read(entry.seq)).toBeUndefined();
    expect(table.deadLetters().map((letter) => letter.messageId)).toEqual(['m-1']);
    db.close();
  });

  it("takes the time of an insert only once its turn to write has come, and makes it the messages' time", () => {
    const db = new Database(':memory:');
    const order: string[] = [];
    const gate = {
      run: <T>(write: () => T): T => {
        order.push('turn');
        return write();
      },
    };
    const table = new MessageTable(db, 600_000, { gate });
    const inserted = table.insert([{ rows: [pending(1)] }], () => {
      order.push('clock');
      return 5_000;
    });
    expect(order).toEqual(['turn', 'clock']);
    expect(inserted.now).toBe(5_000);
    expect(inserted.entries[0]?.availableAt).toBe(5_000);
    db.close();
  });

  it('forgets what an undone commit wrote', () => {
    const db = new Database(':memory:');
    const table = new MessageTable(db, 600_000);
    const inserted = table.insert([{ rows: [pending(1)] }], () => 1_000);
    const seq = inserted.entries[0]?.seq ?? -1;
    expect(table.read(seq)?.message_id).toBe('m-1');
    table.undo(inserted);
    expect(table.read(seq)).toBeUndefined();
    db.close();
  });
});
