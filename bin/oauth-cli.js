#!/usr/bin/env node
// Thin shim: all logic lives in dist/main.js (built from src/main.ts).
import { main } from '../dist/main.js'

process.exitCode = await main()
