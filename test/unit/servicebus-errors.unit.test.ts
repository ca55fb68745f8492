import { ServiceBusError } from '@azure/service-bus';
import { toQueueUnavailable } from '../../src/adapters/servicebus/errors';

describe('Service Bus send failures', () => {
  it.each(['ServiceBusy', 'QuotaExceeded', 'MessagingEntityNotFound', 'UnauthorizedAccess'] as const)(
    'a refusal (%s) means nothing was enqueued: the Idempotency-Key may be freed',
    (code) => {
      expect(toQueueUnavailable(new ServiceBusError('refused', code), 'send').outcome).toBe('not-accepted');
    },
  );

  it.each(['ServiceTimeout', 'ServiceCommunicationProblem', 'GeneralError'] as const)(
    'a %s may come after the broker stored the message: the outcome is unknown and the key must be kept',
    (code) => {
      expect(toQueueUnavailable(new ServiceBusError('lost', code), 'send').outcome).toBe('unknown');
    },
  );

  it('a socket error without a Service Bus code is unknown too', () => {
    const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(toQueueUnavailable(error, 'send').outcome).toBe('unknown');
  });
});
