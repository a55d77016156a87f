import { removeTempDirs } from './cli.js';

afterAll(() => removeTempDirs());
