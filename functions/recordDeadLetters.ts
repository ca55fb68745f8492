import { app } from '@azure/functions';
import { recordDeadLetters } from '../src/app/dead-letters';
import { contextLogger } from '../src/triggers/context-logger';
import { provideServices } from './services';
import { settings } from './settings';

// The trigger records a command as failed when its last delivery fails in the handler; a delivery that
// times out or dies with its host never gets there, nor does a message whose time to live runs out. Once a
// minute this sweep gives every dead letter without a failure record one, so its status answers `failed`.
app.timer('recordDeadLetters', {
  schedule: '0 * * * * *',
  handler: async (_timer, context) => {
    const services = await provideServices();
    const log = contextLogger(context, {}, settings.logLevel);
    const seen = await recordDeadLetters({
      deadLetters: services.deadLetterQueue,
      store: services.store,
      clock: services.clock,
      log,
    });
    if (seen > 0) log.info('dead letters swept', { seen });
  },
});
