/** Cyclone's version, as sent in the `Server` header (`CycloneServer/<version>`). */
export const VERSION = "0.1.0";
