import { app } from '@azure/functions';
import { DEFAULT_TRANSIENT_RETRY } from '../src/app/transient-retry';
import { createCommandTrigger } from '../src/triggers/command-trigger';
import { provideServices } from './services';
import { settings } from './settings';

// Sessions keyed by inventory id: one consumer per item at a time, so its commands apply in order.
// Returning completes the message(s) (autoCompleteMessages); throwing abandons them for redelivery.
const trigger = createCommandTrigger(provideServices, {
  logLevel: settings.logLevel,
  retry: { ...DEFAULT_TRANSIENT_RETRY, budgetMs: settings.transientRetryMs },
});

app.serviceBusQueue('processCommands', {
  connection: 'ServiceBusConnection',
  queueName: '%SERVICEBUS_QUEUE%',
  isSessionsEnabled: true,
  cardinality: settings.triggerCardinality,
  handler: async (message, context) => {
    await trigger(message, context);
  },
});
