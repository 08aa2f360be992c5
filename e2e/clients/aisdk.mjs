// Drives the AI SDK against the gateway: generateText, streamText, a
// multi-step tool run and embed, through its Responses and Chat providers
// (and its Anthropic provider), for every model named in KEYGATE_MODELS.
// Prints one JSON line of results; e2e/clients_test.go judges them.
import { generateText, streamText, embed, tool, stepCountIs, jsonSchema } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { createAnthropic } from "@ai-sdk/anthropic";

const base = process.env.KEYGATE_URL;
const apiKey = process.env.KEYGATE_KEY;
const models = process.env.KEYGATE_MODELS.split(",");
const openai = createOpenAI({ baseURL: base + "/v1", apiKey });
const anthropic = createAnthropic({ baseURL: base + "/v1", apiKey });

const weather = tool({
  description: "Weather for a city",
  inputSchema: jsonSchema({ type: "object", properties: { query: { type: "string" } }, required: ["query"] }),
  execute: async ({ query }) => `cloudy in ${query}`,
});

async function run(name, model) {
  const out = { provider: name };
  try {
    out.generate = (await generateText({ model, prompt: "hello sdk" })).text;
    const s = streamText({ model, prompt: "stream sdk" });
    let text = "";
    for await (const d of s.textStream) text += d;
    out.stream = text;
    out.streamFinish = await s.finishReason;
    const t = await generateText({ model, prompt: "Lima", tools: { get_weather: weather }, stopWhen: stepCountIs(3) });
    out.toolSteps = t.steps.length;
    out.toolText = t.text;
  } catch (e) {
    out.error = String(e && e.message ? e.message : e);
  }
  return out;
}

const results = [];
for (const m of models) {
  results.push({ model: m, ...(await run("responses", openai.responses(m))) });
  results.push({ model: m, ...(await run("chat", openai.chat(m))) });
  results.push({ model: m, ...(await run("anthropic", anthropic(m))) });
}
let embedding = {};
try {
  const e = await embed({ model: openai.embedding(process.env.KEYGATE_EMBED_MODEL), value: "embed me" });
  embedding = { dims: e.embedding.length };
} catch (e) {
  embedding = { error: String(e.message || e) };
}
console.log(JSON.stringify({ results, embedding }));
