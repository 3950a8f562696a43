/** Writes mql5/Include/ExecutorBridge/Protocol.mqh and the reference section of docs/protocol.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import { DOC_PATH, MQH_PATH, renderDoc, renderMqh } from './protocol-gen.js';

writeFileSync(MQH_PATH, renderMqh());
writeFileSync(DOC_PATH, renderDoc(readFileSync(DOC_PATH, 'utf8')));
process.stdout.write(`wrote ${MQH_PATH} and ${DOC_PATH}\n`);
