/**
 * @module resources/schema/limits
 * Limits of the schema walkers (shared/STYLE.md §6).
 */

/**
 * schemaDepthMax bounds how deep `unknownFields` and `typeErrors` descend into a value
 * (nesting levels of objects, lists and maps, counted from the root). Default 64; the
 * deepest field of the served kinds sits at about 14. At the limit the walker throws a
 * `SchemaDepthError` (the API layer answers 400 Bad Request), so a hostile body cannot
 * make a request run long.
 */
export const schemaDepthMax = 64;
