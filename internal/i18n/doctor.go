package i18n

// doctorTexts: every line `keygate doctor` prints (internal/doctor). Check
// details are clauses; the server's own message and hint are shown as they
// come (keygate sends them in the language doctor asks for).
var doctorTexts = map[Key]Text{
	"doctor.check.base_url": {"base URL answers and speaks the OpenAI API", "base URL 可访问且支持 OpenAI API"},
	"doctor.check.key":      {"key format (checked locally, before sending)", "密钥格式（在发送前于本地检查）"},
	"doctor.check.models":   {"GET /models with the key", "用该密钥调用 GET /models"},
	"doctor.check.model":    {"model exists and is allowed", "模型存在且允许使用"},
	"doctor.check.chat":     {"1-token chat completion", "1 个 token 的对话补全"},

	"doctor.skip":          {"not run: fix \"{check}\" first", "未运行：请先解决“{check}”"},
	"doctor.key.none":      {"(none)", "（无）"},
	"doctor.key.too_short": {"(too short to show)", "（太短，无法显示）"},
	"doctor.period":        {".", "。"},
	"doctor.then":          {"{first}; {then}", "{first}；{then}"},

	"doctor.transport": {"{what}: {err}", "{what}：{err}"},
	"doctor.transport.fix": {
		"Check that the server runs and that the base URL's host and port are right.",
		"请检查服务器是否在运行，以及 base URL 的主机和端口是否正确。"},
	"doctor.no_answer_in_time": {"no answer in time", "未能及时应答"},
	"doctor.answered":          {"{what} answered {status}", "{what} 返回了 {status}"},
	"doctor.request_id":        {" (request id {id})", "（请求 ID {id}）"},
	"doctor.docs":              {"Docs: {url}", "文档：{url}"},

	"doctor.base.none": {"no base URL given", "没有给出 base URL"},
	"doctor.base.none.fix": {
		"Pass --base-url, e.g. --base-url http://127.0.0.1:8080/v1.",
		"请传入 --base-url，例如 --base-url http://127.0.0.1:8080/v1。"},
	"doctor.base.not_http": {"{url} is not an http(s) URL", "{url} 不是 http(s) URL"},
	"doctor.base.not_http.fix": {
		"Give the full base URL with scheme and host, e.g. http://127.0.0.1:8080/v1.",
		"请给出带协议和主机的完整 base URL，例如 http://127.0.0.1:8080/v1。"},
	"doctor.base.userinfo": {"the base URL carries a user name or password", "base URL 中带有用户名或密码"},
	"doctor.base.userinfo.fix": {
		"Remove credentials from the URL; the key goes in the Authorization header (--key).",
		"请从 URL 中去掉凭据；密钥应放在 Authorization 头中（--key）。"},
	"doctor.base.query": {"the base URL has a query string ({query})", "base URL 带有查询字符串（{query}）"},
	"doctor.base.query.fix": {
		"Remove the query string; never put a key in a URL — it ends up in logs.",
		"请去掉查询字符串；绝不要把密钥放进 URL——它会出现在日志里。"},
	"doctor.server.keygate": {"keygate", "keygate"},
	"doctor.server.other":   {"OpenAI-compatible (not keygate)", "OpenAI 兼容（不是 keygate）"},
	"doctor.base.ok": {
		"{server} server at {base} (GET /models without a key → {status})",
		"{base} 上是 {server} 服务器（不带密钥的 GET /models → {status}）"},
	"doctor.base.twice_suffix": {", but the base URL has /v1 twice", "，但 base URL 中有两个 /v1"},
	"doctor.base.use":          {"Use {base}.", "请使用 {base}。"},
	"doctor.base.why":          {"GET {base}/models answered {status}", "GET {base}/models 返回了 {status}"},
	"doctor.base.why_message":  {": {message}", "：{message}"},
	"doctor.base.why_not_json": {" with {type}, not JSON", "，内容类型为 {type}，不是 JSON"},
	"doctor.base.lacks_v1":     {"the base URL lacks /v1", "base URL 缺少 /v1"},
	"doctor.base.v1_twice":     {"the base URL has /v1 twice", "base URL 中有两个 /v1"},
	"doctor.base.extra":        {"the base URL has an extra path segment", "base URL 多了一段路径"},
	"doctor.base.found": {
		"{what}: {why}, while {alt}/models speaks the API",
		"{what}：{why}，而 {alt}/models 支持该 API"},
	"doctor.base.use_flag": {
		"Use --base-url {alt} (in SDKs: base_url / baseURL / OPENAI_BASE_URL).",
		"请使用 --base-url {alt}（在 SDK 中：base_url / baseURL / OPENAI_BASE_URL）。"},
	"doctor.base.continue": {
		"; the next checks use {alt}",
		"；后续检查改用 {alt}"},
	"doctor.base.unknown.fix": {
		"Check the base URL: for keygate it is http://HOST:PORT/v1; for other servers see their docs for the OpenAI-compatible base URL.",
		"请检查 base URL：keygate 的是 http://HOST:PORT/v1；其他服务器请查阅其文档中的 OpenAI 兼容 base URL。"},
	"doctor.base.not_api": {
		"{why}; this does not look like an OpenAI-compatible API",
		"{why}；这看起来不是 OpenAI 兼容的 API"},

	"doctor.key.missing": {"no key given", "没有给出密钥"},
	"doctor.key.missing.fix": {
		"Pass --key, or set KEYGATE_KEY or OPENAI_API_KEY (check that the variable is exported in this shell).",
		"请传入 --key，或设置 KEYGATE_KEY 或 OPENAI_API_KEY（检查该变量是否已在当前 shell 中 export）。"},
	"doctor.key.around": {
		"the key {where} — not part of the key; the next checks go on without it",
		"密钥{where}——这不属于密钥；后续检查使用去掉它之后的密钥"},
	"doctor.key.around.starts": {"starts with {char}", "开头有{char}"},
	"doctor.key.around.ends":   {"ends with {char}", "末尾有{char}"},
	"doctor.key.around.both":   {"starts with {first} and ends with {last}", "开头有{first}、末尾有{last}"},
	"doctor.key.around.quotes": {"is wrapped in quotes", "被引号包住"},
	"doctor.key.around.fix": {
		"Remove it where your program reads the key (.env file, secret store, CI variable), or trim the value when it is read (strip()/trim()).",
		"请在程序读取密钥的地方（.env 文件、密钥存储、CI 变量）删掉它，或在读取时去掉首尾空白（strip()/trim()）。"},
	"doctor.key.problem": {"{code}: {message}", "{code}：{message}"},
	"doctor.key.well_formed": {
		"{key} is a well-formed keygate {env} key (prefix, length and checksum correct)",
		"{key} 是格式正确的 keygate {env} 密钥（前缀、长度和校验和都正确）"},
	"doctor.key.not_keygate_server": {", but the server does not look like keygate", "，但服务器看起来不是 keygate"},
	"doctor.key.generic_ok": {
		"{key} has no whitespace, quotes or invisible characters",
		"{key} 不含空白、引号或不可见字符"},
	"doctor.key.shaped_like": {" (shaped like a {provider} key)", "（看起来是 {provider} 的密钥）"},
	"doctor.key.generic.fix": {
		"Fix the value where your program reads it (.env file, secret store, CI variable), then run doctor again.",
		"请在程序读取它的地方（.env 文件、密钥存储、CI 变量）修正该值，然后再次运行 doctor。"},
	"doctor.key.bad_utf8": {
		"the key is not valid UTF-8: it was probably copied from a binary file or a wrong encoding",
		"密钥不是有效的 UTF-8：它很可能是从二进制文件中复制的，或编码不对"},
	"doctor.key.contains": {
		"the key contains {char} at character {pos}",
		"密钥第 {pos} 个字符处含有{char}"},
	"doctor.key.literal": {
		"the key is the literal {literal}: your environment variable is not set",
		"密钥是字面值 {literal}：你的环境变量没有设置"},
	"doctor.key.placeholder": {
		"the key is a placeholder, not a value: your environment variable is not set or not expanded",
		"密钥是占位符而不是值：你的环境变量没有设置或没有被展开"},
	"doctor.key.quote": {
		"the key starts or ends with a quote, which is not part of it",
		"密钥以引号开头或结尾，引号不属于密钥"},
	"doctor.cli.no_base": {
		"keygate doctor: no base URL: pass --base-url (e.g. http://127.0.0.1:8080/v1) or set KEYGATE_BASE_URL",
		"keygate doctor：没有 base URL：请传入 --base-url（例如 http://127.0.0.1:8080/v1）或设置 KEYGATE_BASE_URL"},
	"doctor.key.bearer": {
		"the key starts with \"Bearer\": pass the key alone, the client adds the Bearer scheme",
		"密钥以 \"Bearer\" 开头：请只传入密钥本身，客户端会自己加上 Bearer 方案"},

	"doctor.models.wrong_base": {
		"{what}: GET {base}/models answered 404 with the key, while {alt}/models lists models",
		"{what}：带密钥的 GET {base}/models 返回了 404，而 {alt}/models 能列出模型"},
	"doctor.models.refused.fix": {
		"The server refused the key: check that it was issued by this server and is still active.",
		"服务器拒绝了该密钥：请检查它是否由这台服务器签发、是否仍然有效。"},
	"doctor.models.not_list": {
		"GET /models answered 200 but not a JSON model list: {body}",
		"GET /models 返回了 200，但不是 JSON 模型列表：{body}"},
	"doctor.models.not_list.fix": {
		"The base URL may point at a web page or another API; use the server's OpenAI-compatible base URL.",
		"base URL 可能指向了网页或别的 API；请使用该服务器的 OpenAI 兼容 base URL。"},
	"doctor.models.empty": {
		"the key is accepted but may use no model (GET /models is empty)",
		"密钥被接受，但不能使用任何模型（GET /models 为空）"},
	"doctor.models.empty.fix": {
		"Ask the gateway operator to give the key's group access to a model.",
		"请让网关运维人员给该密钥的分组开通某个模型。"},
	"doctor.models.ok": {
		"key accepted; {n} model(s): {list}",
		"密钥被接受；共 {n} 个模型：{list}"},
	"doctor.list.more": {"{list} and {n} more", "{list} 等，另外还有 {n} 个"},

	"doctor.model.default": {
		"no --model given; using {model}, the first listed model that looks like a chat model",
		"没有给出 --model；使用 {model}，即列表中第一个看起来是对话模型的模型"},
	"doctor.model.default.fix": {
		"Pass --model with the model your program uses.",
		"请用 --model 传入你的程序使用的模型。"},
	"doctor.model.listed": {"{model} is listed for this key", "{model} 在此密钥的模型列表中"},
	"doctor.model.unlisted_ok": {
		"{model} is not listed, but GET /models/{name} answers 200 (an alias or unlisted model)",
		"{model} 不在列表中，但 GET /models/{name} 返回 200（是别名或未列出的模型）"},
	"doctor.model.did_you_mean": {"; did you mean {model}?", "；你是不是想用 {model}？"},
	// What keygate's own Chinese model_not_found says before its suggestions.
	"doctor.model.did_you_mean_marker": {"Did you mean", "你是不是想用"},
	"doctor.model.use_listed": {
		"Use one of the models GET /models lists: {list}.",
		"请使用 GET /models 列出的模型之一：{list}。"},

	"doctor.chat.client_fix": {
		"The server refused the request itself: check that the model is a chat model your key may use.",
		"服务器拒绝了请求本身：请检查该模型是否是你的密钥可以使用的对话模型。"},
	"doctor.chat.server_fix": {
		"Retry; if it keeps failing, send the evidence below to the server's operator.",
		"请重试；如果持续失败，请把下面的证据发给服务器的运维人员。"},
	"doctor.chat.no_choices": {
		"POST /chat/completions answered 200 without choices: {body}",
		"POST /chat/completions 返回了 200，但没有 choices：{body}"},
	"doctor.chat.no_choices.fix": {
		"The server does not answer in OpenAI's chat format; check that the model is a chat model.",
		"服务器没有按 OpenAI 的对话格式应答；请检查该模型是否是对话模型。"},
	"doctor.chat.ok":        {"200 in {ms} ms", "200，耗时 {ms} ms"},
	"doctor.chat.served_by": {", served by {model}", "，由 {model} 提供"},
	"doctor.chat.req_id":    {", request id {id}", "，请求 ID {id}"},

	"doctor.write.fix": {"fix: {fix}", "解决：{fix}"},
	"doctor.write.ok":  {"All checks passed.", "所有检查都已通过。"},
	"doctor.write.fail": {
		"Some checks did not pass; fix each one marked FAIL and run doctor again.",
		"有检查未通过；请逐一解决标为 FAIL 的项，然后再次运行 doctor。"},
	"doctor.write.evidence": {
		"--- evidence for a support ticket (no secret in it; never add the full key) ---",
		"--- 用于支持工单的证据（不含任何机密；切勿附上完整密钥）---"},
	"doctor.write.key":         {"key:        {v}", "密钥：      {v}"},
	"doctor.write.base":        {"base URL:   {v}", "base URL：  {v}"},
	"doctor.write.server":      {"server:     {v}", "服务器：    {v}"},
	"doctor.write.model":       {"model:      {v}", "模型：      {v}"},
	"doctor.write.time":        {"time (UTC): {v}", "时间(UTC)： {v}"},
	"doctor.write.status":      {"status:     {status} ({ms} ms)", "状态：      {status}（{ms} ms）"},
	"doctor.write.status_none": {"status:     - (the key was not sent)", "状态：      -（未发送密钥）"},
	"doctor.write.code":        {"error code: {v}", "错误代码：  {v}"},
	"doctor.write.request_id":  {"request id: {v}", "请求 ID：   {v}"},
}
