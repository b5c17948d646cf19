/** The local authority areas the service covers (Liverpool City Region). */
export const AREAS = ["Liverpool", "Sefton", "Knowsley", "Halton", "Wirral", "St Helens"] as const;
