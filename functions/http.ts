import { app } from '@azure/functions';
import { bindRoutes } from '../src/http/routes';
import { provideServices } from './services';

// Every REST route, from the same table the one-machine host serves.
for (const route of bindRoutes(provideServices)) {
  app.http(route.name, {
    route: route.route,
    methods: [route.method],
    authLevel: route.authLevel,
    handler: route.handler,
  });
}
