// Writes, beside each *.convo.txt, *.pconvo.txt and *.utterances.txt of this folder, what
// Botium's own text compiler makes of it: `<file>.botium.json`. The conformance test
// (chatlayer-emulator/src/convo/conformance.rs) compares the emulator's reading with these.
//
// Run with botium-core installed (the version in BOTIUM_VERSION below):
//     npm install --prefix /tmp/botium botium-core@1.15.10
//     NODE_PATH=/tmp/botium/node_modules node botium-expected.js
//
// The compiler gets Botium's default asserters, logic hooks and user inputs, as a project
// without custom ones has them.
'use strict'
const fs = require('fs')
const path = require('path')

const BOTIUM_VERSION = '1.15.10'
const root = path.dirname(require.resolve('botium-core/package.json'))
const version = require(path.join(root, 'package.json')).version
if (version !== BOTIUM_VERSION) throw new Error(`botium-core ${version} found, ${BOTIUM_VERSION} wanted`)
const Compiler = require(path.join(root, 'src/scripting/CompilerTxt'))
const Consts = require(path.join(root, 'src/scripting/logichook/LogicHookConsts'))
const Constants = require(path.join(root, 'src/scripting/Constants'))
const Defaults = require(path.join(root, 'src/Defaults')).Capabilities

const names = (list) => Consts[list].map((entry) => entry.name)
const context = () => {
  const found = { convos: [], utterances: [] }
  return Object.assign(found, {
    IsAsserterValid: (name) => names('DEFAULT_ASSERTERS').includes(name),
    IsUserInputValid: (name) => names('DEFAULT_USER_INPUTS').includes(name),
    IsLogicHookValid: (name) => names('DEFAULT_LOGIC_HOOKS').includes(name),
    AddConvos: (convos) => found.convos.push(...convos),
    AddPartialConvos: (convos) => found.convos.push(...convos),
    AddUtterances: (utterances) => found.utterances.push(...utterances),
    AddScriptingMemories: () => {}
  })
}

const step = (s) => ({
  sender: s.sender,
  channel: s.channel || null,
  text: s.messageText === undefined ? null : s.messageText,
  sourceData: s.sourceData === undefined ? null : s.sourceData,
  not: !!s.not,
  optional: !!s.optional,
  asserters: s.asserters.map((a) => ({ name: a.name, args: a.args, not: !!a.not, optional: !!a.optional })),
  logicHooks: s.logicHooks.map((h) => ({ name: h.name, args: h.args })),
  userInputs: s.userInputs.map((u) => ({ name: u.name, args: u.args }))
})

for (const file of fs.readdirSync(__dirname).sort()) {
  const kind = file.endsWith('.pconvo.txt')
    ? Constants.SCRIPTING_TYPE_PCONVO
    : file.endsWith('.convo.txt')
      ? Constants.SCRIPTING_TYPE_CONVO
      : file.endsWith('.utterances.txt') ? Constants.SCRIPTING_TYPE_UTTERANCES : null
  if (!kind) continue
  const found = context()
  const compiler = new Compiler(found, Object.assign({}, Defaults))
  let expected
  try {
    compiler.Compile(fs.readFileSync(path.join(__dirname, file)), kind)
    if (kind === Constants.SCRIPTING_TYPE_UTTERANCES) {
      expected = { name: found.utterances[0].name, utterances: found.utterances[0].utterances }
    } else {
      const convo = found.convos[0]
      expected = { title: convo.header.name === undefined ? null : convo.header.name, steps: convo.conversation.map(step) }
    }
  } catch (error) {
    expected = { error: error.message.split('\n')[0] }
  }
  fs.writeFileSync(path.join(__dirname, `${file}.botium.json`), JSON.stringify(expected, null, 2) + '\n')
}
