import { afterEach, describe, expect, it } from 'vitest';
import { answer } from '../../generation/index.ts';
import { type AnswerBackend, backendDeps as makeDeps, type SeededBackend } from './answer-backend.ts';
import { createFakeSearch, createScriptedGenerator, tokens } from './helpers.ts';

/** Chats stored through the answer pipeline: run once per backend. */
export function chatSuite(name: string, backend: () => AnswerBackend): void {
  describe(name, () => {
    let seeded: SeededBackend;
    afterEach(() => seeded?.close());
    const seedStore: AnswerBackend['seed'] = (collection, docs) => backend().seed(collection, docs);

    describe('chats', () => {
      it('stores each turn with its result and condenses a follow-up from the history', async () => {
        seeded = await seedStore('geo', [
          { source: 'france.md', paragraphs: ['Paris is the capital of France. About 2 million people live in Paris.'] },
        ]);
        const { search, requests } = createFakeSearch({}, [seeded.passage('france.md', 0)]);
        const gen = createScriptedGenerator([
          { stream: tokens('Paris is the capital of France [1].') },
          { complete: 'How many people live in Paris?' },
          { stream: tokens('About 2 million people live in Paris [1].') },
        ]);
        const deps = makeDeps(seeded, gen.generator, search);
        const first = await answer(deps, { collection: 'geo', question: 'What is the capital of France?', reflect: false });
        expect(first.chatId).toMatch(/^chat_/);
        const second = await answer(deps, {
          collection: 'geo',
          question: 'How many people live there?',
          chatId: first.chatId as string,
          reflect: false,
        });
        expect(second.chatId).toBe(first.chatId);
        expect(second.standaloneQuestion).toBe('How many people live in Paris?');
        expect(second.models.condense).toBe('scripted');
        expect(requests.map((r) => r.query)).toEqual(['What is the capital of France?', 'How many people live in Paris?']);
        const condense = gen.calls[1]?.request.messages[1]?.content;
        expect(condense).toBe(
          'Chat:\nUser: What is the capital of France?\nAssistant: Paris is the capital of France [1].\n\nFollow-up question: How many people live there?',
        );
        const messages = await seeded.store.chats.messages(first.chatId as string);
        expect(messages.map((m) => [m.role, m.content])).toEqual([
          ['user', 'What is the capital of France?'],
          ['assistant', 'Paris is the capital of France [1].'],
          ['user', 'How many people live there?'],
          ['assistant', 'About 2 million people live in Paris [1].'],
        ]);
        expect(messages[3]?.result).toMatchObject({ decision: 'answered', standaloneQuestion: 'How many people live in Paris?' });
        expect((await seeded.store.chats.require(first.chatId as string)).title).toBe('What is the capital of France?');
      });

      it('joins a follow-up with the previous question when there is no generator', async () => {
        seeded = await seedStore('geo', [{ source: 'france.md', paragraphs: ['Paris is the capital of France.'] }]);
        const { search } = createFakeSearch({}, [seeded.passage('france.md', 0)]);
        const deps = makeDeps(seeded, null, search);
        const first = await answer(deps, { collection: 'geo', question: 'capital of France?' });
        const second = await answer(deps, { collection: 'geo', question: 'and its river?', chatId: first.chatId as string });
        expect(second.standaloneQuestion).toBe('capital of France? and its river?');
      });

      it('answers five unrelated questions in one chat as if each were asked alone (no generator)', async () => {
        const facts = {
          'fruit.md': 'Bananas cost 2 euros per kilo at the market.',
          'invoice.md': 'The buyer on the invoice is Acme Trading Ltd.',
          'tower.md': 'The Eiffel Tower was built between 1887 and 1889.',
          'mars.md': 'Mars has two small moons, Phobos and Deimos.',
          'zephyr.md': 'The Zephyr project is licensed under Apache-2.0.',
        };
        seeded = await seedStore(
          'mixed',
          Object.entries(facts).map(([source, text]) => ({ source, paragraphs: [text] })),
        );
        const questions: [string, string][] = [
          ['What is the price of bananas?', 'fruit.md'],
          ['Who is the buyer on the invoice?', 'invoice.md'],
          ['When was the Eiffel Tower built?', 'tower.md'],
          ['How many moons does Mars have?', 'mars.md'],
          ['Which license does Zephyr use?', 'zephyr.md'],
        ];
        const table = Object.fromEntries(questions.map(([q, source]) => [q, [seeded.passage(source, 0)]]));
        const everything = Object.keys(facts).map((source) => seeded.passage(source, 0));
        const { search, requests } = createFakeSearch(table, everything);
        const deps = makeDeps(seeded, null, search);
        const alone: string[] = [];
        for (const [question] of questions)
          alone.push((await answer(deps, { collection: 'mixed', question, persist: false })).answer);
        let chatId: string | undefined;
        const inChat: string[][] = [];
        for (const [question] of questions) {
          const result = await answer(deps, { collection: 'mixed', question, ...(chatId ? { chatId } : {}) });
          chatId = result.chatId as string;
          inChat.push([result.standaloneQuestion, result.answer]);
        }
        expect(inChat).toEqual(questions.map(([q], i) => [q, alone[i]]));
        expect(alone).toEqual(Object.values(facts).map((text) => `${text} [1]`));
        expect(requests.slice(5).map((r) => r.query)).toEqual(questions.map(([q]) => q));
      });

      it('condenses with history the caller keeps (OpenAI clients), system turns left out, nothing stored', async () => {
        seeded = await seedStore('geo', [{ source: 'france.md', paragraphs: ['About 2 million people live in Paris.'] }]);
        const { search, requests } = createFakeSearch({}, [seeded.passage('france.md', 0)]);
        const gen = createScriptedGenerator([
          { complete: 'How many people live in Paris?' },
          { stream: tokens('About 2 million people live in Paris [1].') },
        ]);
        const result = await answer(makeDeps(seeded, gen.generator, search), {
          collection: 'geo',
          question: 'How many people live there?',
          history: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'What is the capital of France?' },
            { role: 'assistant', content: 'Paris.' },
          ],
          persist: false,
          reflect: false,
        });
        expect([result.standaloneQuestion, result.chatId, requests.map((r) => r.query)]).toEqual([
          'How many people live in Paris?',
          null,
          ['How many people live in Paris?'],
        ]);
        expect(gen.calls[0]?.request.messages[1]?.content).toBe(
          'Chat:\nUser: What is the capital of France?\nAssistant: Paris.\n\nFollow-up question: How many people live there?',
        );
        expect(await seeded.store.chats.list()).toEqual([]);
      });

      it('stores nothing when persist is false', async () => {
        seeded = await seedStore('geo', [{ source: 'france.md', paragraphs: ['Paris is the capital of France.'] }]);
        const { search } = createFakeSearch({}, [seeded.passage('france.md', 0)]);
        const result = await answer(makeDeps(seeded, null, search), {
          collection: 'geo',
          question: 'capital?',
          persist: false,
        });
        expect(result.chatId).toBeNull();
        expect(await seeded.store.chats.list()).toEqual([]);
      });
    });
  });
}
