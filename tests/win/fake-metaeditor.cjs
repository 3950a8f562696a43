// A fixture standing in for MetaEditor64.exe (MetaQuotes' compiler is not available here), built into a Windows
// single executable by tests/win/global-setup.ts. Like MetaEditor it takes /compile:"file" /inc:"folder"
// /log:"file" and writes a UTF-16LE log with a BOM: an error at the line FAKE_METAEDITOR_ERROR_LINE names (if set),
// then the Result line. It also records the arguments it was given, as Windows split them, in <log>.args.json.
const fs = require('node:fs');
const args = process.argv.slice(2);
const opt = (name) => args.find((a) => a.toLowerCase().startsWith(`/${name}:`))?.slice(name.length + 2);
const file = opt('compile');
const log = opt('log');
fs.writeFileSync(`${log}.args.json`, JSON.stringify(args));
fs.readFileSync(file); // the source must be there
const at = process.env.FAKE_METAEDITOR_ERROR_LINE;
const errors = at ? [`${file}(${at},1) : error 149: 'fixture' - unexpected token`] : [];
const text = [`${file} : information: compiling '${file.split('\\').pop()}'`, ...errors, `Result: ${errors.length} errors, 0 warnings, 123 msec elapsed`, ''].join('\r\n');
fs.writeFileSync(log, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
process.exit(errors.length ? 1 : 0);
