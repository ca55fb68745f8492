/** The container's partition key path: every document of one item shares its logical partition. */
export const PARTITION_KEY_PATH = '/inventoryId';
