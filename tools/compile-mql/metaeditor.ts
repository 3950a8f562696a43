// MetaEditor's command line and log parser live in src/cli/metaeditor.ts (`mt5-executor install-ea` uses them at run time).
export * from '../../src/cli/metaeditor.js';
