import { loadSettings, SettingsError } from '../config/settings';
import { prepareDataDir } from './data-dir';
import { startHost } from './host';
import { jsonLogSink } from './log';

/** `npm start`: one process serving the API and applying commands, with data under DATA_DIR. */
async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
    // Checked before anything opens a data file, so a bad DATA_DIR is a settings error, not a stack trace.
    if (settings.store.kind === 'embedded' || settings.queue.kind === 'embedded')
      prepareDataDir(settings.dataDir);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const sink = jsonLogSink(settings.logLevel);
  const host = await startHost(settings, sink);
  sink('info', {
    msg: `Inventory reservations listening on ${host.url}`,
    url: host.url,
    store: host.services.describe.store,
    queue: host.services.describe.queue,
    dataDir: settings.dataDir,
  });
  const shutdown = (signal: string) => {
    sink('info', { msg: `${signal}: finishing in-flight work` });
    host.stop().then(
      () => {
        sink('info', { msg: 'stopped cleanly' });
        // Exit once the log line is out (stdout to a pipe is asynchronous).
        process.stdout.write('', () => process.exit(0));
      },
      (error: unknown) => {
        sink('error', { msg: 'shutdown failed', error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
