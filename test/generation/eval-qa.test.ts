import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, silentLogger } from '../../core/index.ts';
import { exactMatch, f1Score, goldInAnswer, normalizeAnswer, runQaEval } from '../../generation/index.ts';
import { openStore } from '../../store/index.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cairn-qa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SQUAD = {
  version: 'v2.0',
  data: [
    {
      title: 'Tower',
      paragraphs: [
        {
          context: 'The Eiffel Tower is 330 metres tall. Gustave Eiffel designed the tower. It stands in Paris.',
          qas: [
            { id: 'q1', question: 'How tall is the Eiffel Tower?', answers: [{ text: '330 metres', answer_start: 20 }] },
            { id: 'q2', question: 'Who designed the Eiffel Tower?', answers: [{ text: 'Gustave Eiffel', answer_start: 56 }] },
            { id: 'q3', question: 'What colour is the submarine of the queen?', answers: [], is_impossible: true },
            // Close to the text, but about a tower the text never names: the confidence falls below the threshold.
            { id: 'q4', question: 'Who designed the Blackpool Tower?', answers: [], is_impossible: true },
          ],
        },
      ],
    },
  ],
};

describe('SQuAD metrics (official normalisation)', () => {
  it('normalises, matches exactly and scores token F1', () => {
    expect(normalizeAnswer('The  Eiffel-Tower, an icon!')).toBe('eiffeltower icon');
    expect(exactMatch('the 330 metres.', '330 Metres')).toBe(1);
    expect(f1Score('It is 330 metres tall', '330 metres')).toBeCloseTo((2 * (2 / 5) * 1) / (2 / 5 + 1), 10);
    expect(f1Score('', '')).toBe(1);
    expect(goldInAnswer('The Eiffel Tower is 330 metres tall.', ['330 metres'])).toBe(true);
    expect(goldInAnswer('It is 3300 metres tall.', ['330 metres'])).toBe(false);
  });
});

describe('runQaEval (extractive, oracle paragraphs)', () => {
  it('scores answers and abstentions on answerable and unanswerable questions', async () => {
    const file = path.join(dir, 'squad.json');
    writeFileSync(file, JSON.stringify(SQUAD));
    const store = openStore({ file: ':memory:' });
    const config = parseConfig({ dataDir: dir, answer: { extractiveSentences: 1 } });
    const report = await runQaEval({ store, config, logger: silentLogger, generator: null }, { file, limit: 10 });
    store.close();
    expect(report).toMatchObject({
      version: 'v2.0',
      mode: 'extractive',
      generator: 'extractive',
      retrieval: 'oracle',
      questions: 4,
      answerable: { count: 2, abstained: 0, abstentionRate: 0, exactMatch: 0, goldInAnswer: 1, goldInAnswered: 1 },
      unanswerable: { count: 2, abstained: 2, abstentionRate: 1 },
      decisions: { answered: 2, 'abstained:no_match': 2 },
      meanAnswerChars: 35,
    });
    // EM counts the abstentions on the unanswerable questions as correct (official v2.0 scoring).
    expect(report.exactMatch).toBe(0.5);
    // The Blackpool question scores 0.1: half its terms, times 0.2 for a name the text lacks.
    expect(report.curve?.map((p) => [p.threshold, p.answerableAbstained, p.unanswerableAbstained, p.goldInAnswer])).toEqual([
      [0, 0, 0.5, 1],
      [0.1, 0, 0.5, 1],
      [0.2, 0, 1, 1],
      [0.25, 0, 1, 1],
      [0.3, 0, 1, 1],
      [0.35, 0, 1, 1],
      [0.37, 0, 1, 1],
      [0.4, 0, 1, 1],
      [0.45, 0, 1, 1],
      [0.5, 0, 1, 1],
      [0.6, 0, 1, 1],
    ]);
    expect(report.answerable.f1).toBeGreaterThan(0.4);
  });

  it('ranks the sentence that holds the gold answer when asked (--ranks)', async () => {
    const file = path.join(dir, 'ranks.json');
    const context =
      'The tower was finished in 1889. Its architect drew the tower in Paris. Gustave Eiffel led the firm that built the tower.';
    const qas = [
      { id: 'r1', question: 'When was the tower finished?', answers: [{ text: '1889', answer_start: 26 }] },
      // "architect" and "tower" point at the second sentence; the name is in the third, which has "tower" only.
      { id: 'r2', question: 'Who was the architect of the tower?', answers: [{ text: 'Gustave Eiffel', answer_start: 71 }] },
      { id: 'r3', question: 'What colour is the submarine?', answers: [], is_impossible: true },
    ];
    writeFileSync(file, JSON.stringify({ version: 'v2.0', data: [{ title: 'Tower', paragraphs: [{ context, qas }] }] }));
    const store = openStore({ file: ':memory:' });
    const config = parseConfig({ dataDir: dir });
    const plain = await runQaEval({ store, config, logger: silentLogger, generator: null }, { file, limit: 10 });
    expect(plain.ranks).toBeNull();
    const store2 = openStore({ file: ':memory:' });
    const report = await runQaEval(
      { store: store2, config, logger: silentLogger, generator: null },
      { file, limit: 10, ranks: true },
    );
    store.close();
    store2.close();
    // r1's gold is in the first sentence; r2's is second, after the sentence with both its terms
    // and ahead of the 1889 one by the name a "who" question asks for.
    expect(report.ranks).toEqual({ top: { '1': 0.5, '2': 1, '3': 1, '5': 1, '10': 1 }, beyond: 0, depth: 30 });
  });

  it('rejects a file that is not SQuAD with VALIDATION', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{"rows": []}');
    const store = openStore({ file: ':memory:' });
    await expect(
      runQaEval({ store, config: parseConfig({}), logger: silentLogger, generator: null }, { file }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    store.close();
  });
});
