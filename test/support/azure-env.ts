/** App settings shaped like the deployed function app's (infra/modules/function-app.bicep), with made-up values. */
export const AZURE_ENV = {
  COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/',
  COSMOS_DATABASE: 'inventory',
  COSMOS_CONTAINER: 'inventory',
  ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
  SERVICEBUS_QUEUE: 'reservations',
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
};
