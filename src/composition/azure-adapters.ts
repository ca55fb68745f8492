import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { createCosmosStore } from '../adapters/cosmos/client';
import type { Settings, StoreSettings } from '../config/settings';
import type { DocumentStore } from '../ports/store';

/**
 * The Microsoft Entra credential both hosts use for Azure services: on Azure the user-assigned managed
 * identity named by AZURE_CLIENT_ID; on a developer's machine the default chain (az login, azd login, ...).
 * Created on first use, so a host that needs no identity never builds one.
 */
export function lazyCredential(settings: Pick<Settings, 'azureClientId'>): () => TokenCredential {
  let credential: TokenCredential | undefined;
  return () =>
    (credential ??= new DefaultAzureCredential(
      settings.azureClientId ? { managedIdentityClientId: settings.azureClientId } : {},
    ));
}

/** The Cosmos DB store the settings name: with the emulator key when one is set, else with the credential. */
export function openCosmosStore(
  store: Extract<StoreSettings, { kind: 'cosmos' }>,
  credential: () => TokenCredential,
): Promise<DocumentStore> {
  return createCosmosStore({
    endpoint: store.endpoint,
    database: store.database,
    container: store.container,
    ...(store.key !== undefined ? { key: store.key } : { credential: credential() }),
    createIfMissing: store.createIfMissing,
  });
}
