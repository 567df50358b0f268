// A realm whose intents name a data subject: `crm.note` keeps a note about a
// customer. Declare `subjects: [customer_id]` in the platform policy
// (examples/subjects-platform.yaml) and each customer's content is sealed
// under a key of its own, which `symphainy erase --subject customer_id=…`
// destroys.
import { defineRealm } from 'symphainy';

const noteParams = {
  parse(input) {
    const p = input && typeof input === 'object' ? input : {};
    if (typeof p.customer_id !== 'string' || p.customer_id === '') throw new Error('customer_id is required (a string)');
    if (typeof p.note !== 'string' || p.note === '') throw new Error('note is required (a string)');
    return { customer_id: p.customer_id, note: p.note };
  },
};

export default defineRealm({
  name: 'crm',
  intents: {
    note: {
      description: 'Keep a note about a customer (a workflow artifact with a Markdown rendering)',
      params: noteParams,
      handler({ customer_id, note }) {
        return {
          artifacts: {
            note: {
              resultType: 'workflow',
              semanticPayload: { customer_id, note },
              renderings: { markdown: `# Customer ${customer_id}\n\n${note}\n` },
            },
          },
          events: [{ type: 'crm.noted', data: { customer_id } }],
        };
      },
    },
  },
});
