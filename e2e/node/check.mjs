// Drives a keygate gateway with the official OpenAI Node SDK.
// Usage: KEYGATE_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=kg_live_… node check.mjs
// Prints one JSON line with what it saw; exits non-zero on any failure.
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.KEYGATE_BASE_URL, maxRetries: 0, timeout: 20000 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const chat = await client.chat.completions.create({
  model: "mock-gpt",
  messages: [{ role: "user", content: "hello from node" }],
});
out.chat = chat.choices[0].message.content;
out.chatUsage = chat.usage.total_tokens;

const stream = await client.chat.completions.create({
  model: "mock-gpt",
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: "user", content: "stream from node" }],
});
let text = "";
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices[0]?.delta?.content ?? "";
  if (chunk.usage) out.streamUsage = chunk.usage.total_tokens;
}
out.stream = text;
out.chunks = chunks;

const emb = await client.embeddings.create({ model: "mock-embed", input: "vector" });
out.embeddingDims = emb.data[0].embedding.length;

try {
  const bad = new OpenAI({ baseURL: process.env.KEYGATE_BASE_URL, apiKey: " " + process.env.OPENAI_API_KEY, maxRetries: 0 });
  await bad.models.list();
  out.badKey = "accepted";
} catch (e) {
  out.badKey = { status: e.status, code: e.code, requestId: e.requestID ?? e.headers?.get?.("x-request-id") };
}
console.log(JSON.stringify(out));
