/** Constants of the stand-in back end that the UI may show (kept apart so the UI does not bundle the stand-in). */

/** The stand-in's passphrase (the data is made up; shown on its unlock screen). */
export const STANDIN_PASSPHRASE = "made up demo data only";

/** Marker in `AppStatus.dataDir` so the UI can say it is a preview. */
export const STANDIN_DATA_DIR = "(browser preview: made-up data in memory)";
