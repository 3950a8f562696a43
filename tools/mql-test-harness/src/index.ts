export { buildEa, formatError, MqlBuildError, parseCompilerErrors, RUNTIME_DIR, type BuildOptions, type BuildResult } from './build.js';
export { lint } from './lint.js';
export { HarnessTerminal, PERIOD, type Bar, type BrokerLike, type HarnessTerminalOptions, type OrderSendRecord, type Tick } from './terminal.js';
export { load, readSource, tokenize, translate, type SourceError } from './translate.js';
