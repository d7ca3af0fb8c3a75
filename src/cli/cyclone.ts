#!/usr/bin/env node
/**
 * The `cyclone` executable (built to `dist/cli/cyclone.js`). See `main.ts` for the commands.
 * @module
 */

import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
