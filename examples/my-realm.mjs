// A realm written in plain JavaScript, as a user would write one: a module
// whose default export is a realm. Its intent type is `my.greet`.
//
// Parameters can be checked by any object with parse() — here a hand-written
// one, no validation library needed.
import { defineRealm } from 'symphainy';

const greetParams = {
  parse(input) {
    const name = input && typeof input === 'object' ? input.name : undefined;
    if (typeof name !== 'string' || name.trim() === '') throw new Error('name is required');
    return { name: name.trim() };
  },
};

export default defineRealm({
  name: 'my',
  intents: {
    greet: {
      description: 'Greet someone (a structured sop artifact and an untyped note)',
      params: greetParams,
      handler({ name }) {
        return {
          artifacts: {
            // Structured: a known result type, platform meaning, and a rendering.
            greeting: {
              resultType: 'sop',
              semanticPayload: { greeted: name },
              renderings: { markdown: `# Greeting ${name}\n\n1. Say hello to ${name}.\n2. Smile.\n` },
            },
            // Legacy and untyped: the runtime infers result type `unknown`.
            note: { text: `${name} was greeted.` },
          },
          events: [{ type: 'my.greeted', data: { name } }],
        };
      },
    },
  },
});
