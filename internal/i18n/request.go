package i18n

// requestTexts: a request body or path the gateway cannot take (the /v1,
// Anthropic and Gemini handlers, internal/httpapi).
var requestTexts = map[Key]Text{
	"req.too_large": {
		"The request body is larger than this gateway accepts ({limit} bytes).",
		"请求体超过了本网关接受的大小（{limit} 字节）。"},
	"req.too_large.hint": {
		"Send a smaller request (fewer or smaller inputs), or ask the operator to raise the limit.",
		"请发送更小的请求（更少或更小的输入），或请运维人员提高上限。"},
	"req.unreadable": {
		"The request body could not be read.",
		"无法读取请求体。"},
	"req.resend": {"Resend the request.", "请重新发送该请求。"},
	"req.no_model": {
		"The request has no \"model\".",
		"请求中没有 \"model\"。"},
	"req.no_model.hint": {
		"Add \"model\": one of the names GET /v1/models lists.",
		"请加上 \"model\"：取 GET /v1/models 列出的名称之一。"},
	"req.not_object": {
		"The request body must be a JSON object.",
		"请求体必须是 JSON 对象。"},
	"req.not_json": {
		"The request body is not valid JSON: {detail}.",
		"请求体不是有效的 JSON：{detail}。"},
	"req.send_json": {
		"Send a JSON object with Content-Type: application/json.",
		"请发送 JSON 对象，并带上 Content-Type: application/json。"},
	"req.duplicate": {
		"The request body has member {name} more than once. The upstream reads the last copy, so the gateway refuses rather than authorize, route or bill a different one than the upstream serves.",
		"请求体中成员 {name} 出现了不止一次。上游读取的是最后一份，因此网关拒绝请求，以免授权、路由或计费的内容与上游实际处理的不同。"},
	"req.duplicate_spellings": {
		"The request body gives {name} more than once ({spellings} are the same field). The upstream would read only one of them, so the gateway refuses rather than authorize, route or bill a different one than the upstream serves.",
		"请求体中 {name} 出现了不止一次（{spellings} 是同一个字段）。上游只会读取其中之一，因此网关拒绝请求，以免授权、路由或计费的内容与上游实际处理的不同。"},
	"req.and":            {" and ", " 和 "},
	"req.duplicate.hint": {"Send each member once.", "每个成员只发送一次。"},
	"req.case_variant": {
		"The request body has member {key}, which differs from {name} only in case. Member names are case-sensitive: the upstream reads {name} and ignores {key}, so the gateway refuses rather than guess which one is meant.",
		"请求体中有成员 {key}，它与 {name} 只有大小写不同。成员名称区分大小写：上游读取 {name} 而忽略 {key}，因此网关拒绝请求，而不是去猜你指的是哪一个。"},
	"req.case_variant.hint": {"Spell it {name}, once.", "请写成 {name}，且只写一次。"},
	"req.type.number":       {"a number", "数字"},
	"req.type.integer":      {"an integer", "整数"},
	"req.type.other":        {"{type}", "{type}"},
	"req.hint.json_body": {
		"Send a JSON object body with Content-Type: application/json.",
		"请发送 JSON 对象请求体，并带上 Content-Type: application/json。"},
	"req.hint.gemini_body": {
		"Send a GenerateContentRequest JSON object with Content-Type: application/json.",
		"请发送 GenerateContentRequest JSON 对象，并带上 Content-Type: application/json。"},
	"req.hint.images_body": {
		"Send a JSON object such as {\"model\": \"gpt-image-1\", \"prompt\": \"…\"} with Content-Type: application/json.",
		"请发送 JSON 对象，例如 {\"model\": \"gpt-image-1\", \"prompt\": \"…\"}，并带上 Content-Type: application/json。"},
	"req.hint.v1_body": {
		"Send a JSON object with at least a \"model\" field and Content-Type: application/json.",
		"请发送至少带有 \"model\" 字段的 JSON 对象，并带上 Content-Type: application/json。"},
	"req.type.string":     {"a string", "字符串"},
	"req.type.object":     {"an object", "对象"},
	"req.type.array":      {"an array", "数组"},
	"req.type.boolean":    {"a boolean", "布尔值"},
	"req.type.the_number": {"the number {value}", "数字 {value}"},
	"req.wrong_type": {
		"Member {name} must be {want}, not {got}.",
		"成员 {name} 必须是{want}，而不是{got}。"},
	"req.wrong_type.hint": {
		"Send {name} as {want} (or leave it out).",
		"请以{want}发送 {name}（或者不发送它）。"},
	"req.unconvertible": {
		"The request cannot be read: {detail}.",
		"无法读取该请求：{detail}。"},
	"req.unconvertible.hint": {"Fix the named field.", "请修正所指出的字段。"},
	"req.unsupported":        {"{detail}.", "{detail}。"},
	"req.unsupported.hint":   {"Remove the parameter.", "请删除该参数。"},
	"req.unreadable_detail": {
		"The request body cannot be read: {detail}.",
		"无法读取请求体：{detail}。"},
	"req.send_valid_json": {"Send a valid JSON body.", "请发送有效的 JSON 请求体。"},

	"route.method": {
		"{method} {path} is not a route: this path takes {allowed} only.",
		"{method} {path} 不是路由：该路径只接受 {allowed}。"},
	"route.method.hint": {
		"Send {allowed} {path}; OpenAI SDKs do this for you when base_url is {base}.",
		"请发送 {allowed} {path}；当 base_url 为 {base} 时，OpenAI SDK 会自动这样做。"},
	"route.gemini_prefix": {
		"No route for {path}. The path has /v1beta where Gemini SDKs do not put it: the base URL already ends in /v1beta or another prefix, and the SDK added its own. The route is {route}.",
		"没有 {path} 这个路由。路径中的 /v1beta 出现在 Gemini SDK 不会放的位置：base URL 已经以 /v1beta 或其他前缀结尾，而 SDK 又加了自己的。正确的路由是 {route}。"},
	"route.gemini_prefix.hint": {
		"Set your Gemini client's base URL to {host} with no path (google-genai: http_options base_url; the SDK adds /v1beta itself).",
		"请把 Gemini 客户端的 base URL 设为 {host}，不带路径（google-genai：http_options base_url；SDK 会自己加上 /v1beta）。"},
	"route.why.dot_segment": {
		"The path has an empty or dot segment (//, /./, /../): the base URL probably ends with a slash, or the client joined it with the path twice.",
		"路径中有空段或点段（//、/./、/../）：base URL 可能以斜杠结尾，或者客户端把它和路径拼接了两次。"},
	"route.why.dot_segment_slash": {
		"The path has an empty or dot segment (//, /./, /../): the base URL probably ends with a slash and the client added another.",
		"路径中有空段或点段（//、/./、/../）：base URL 可能以斜杠结尾，而客户端又加了一个。"},
	"route.why.trailing_slash": {
		"The path ends with a slash, which this gateway does not add.",
		"路径以斜杠结尾，本网关的路由没有这个斜杠。"},
	"route.why.prefix": {
		"The path has a prefix {prefix} that belongs to another gateway or an old example: the base URL should end in /v1 with nothing else.",
		"路径带有前缀 {prefix}，它属于别的网关或旧的示例：base URL 应该以 /v1 结尾，后面不再有其他内容。"},
	"route.why.v1_twice": {
		"The path has /v1 twice: the base URL already ends in /v1 and the client added another (or the path was written with /v1 too).",
		"路径中有两个 /v1：base URL 已经以 /v1 结尾，而客户端又加了一个（或者路径本身也写了 /v1）。"},
	"route.why.lacks_v1": {
		"The path lacks /v1: the base URL should end in /v1.",
		"路径缺少 /v1：base URL 应该以 /v1 结尾。"},
	"route.why.also_method": {
		" That route also takes {allowed}, not {method}.",
		"该路由也只接受 {allowed}，而不是 {method}。"},
	"route.why": {"{why}{also}", "{why}{also}"},
	"route.anthropic": {
		"No route for {path}. {why} The route is {route}.",
		"没有 {path} 这个路由。{why}正确的路由是 {route}。"},
	"route.anthropic.hint": {
		"Set ANTHROPIC_BASE_URL (Anthropic SDKs: base_url / baseURL) to {host} with no /v1: the client adds /v1/messages itself.",
		"请把 ANTHROPIC_BASE_URL（Anthropic SDK：base_url / baseURL）设为 {host}，不带 /v1：客户端会自己加上 /v1/messages。"},
	"route.fixed": {
		"{why} The route is {route}.",
		"{why}正确的路由是 {route}。"},
	"route.not_api": {
		"This path is not an API route of this gateway.",
		"该路径不是本网关的 API 路由。"},
	"route.not_api_mean": {
		"This path is not an API route of this gateway. Did you mean {route}?",
		"该路径不是本网关的 API 路由。你是不是想用 {route}？"},
	"route.no_route_method": {
		"No route for {method} {path}. {detail}",
		"没有 {method} {path} 这个路由。{detail}"},
	"route.no_route_method.hint": {
		"The routes are {routes}; check the path your client builds.",
		"可用的路由有 {routes}；请检查客户端拼出的路径。"},
	"route.no_route": {
		"No route for {path}. {detail}",
		"没有 {path} 这个路由。{detail}"},
	"route.no_route.hint": {
		"Set your client's base URL to {base} (OpenAI SDKs: base_url / baseURL; curl: {base}/chat/completions).",
		"请把客户端的 base URL 设为 {base}（OpenAI SDK：base_url / baseURL；curl：{base}/chat/completions）。"},

	"gemini.not_method_path": {
		"{path} is not a Gemini method path.",
		"{path} 不是 Gemini 的方法路径。"},
	"gemini.not_method_path.hint": {
		"Use POST /v1beta/models/MODEL:generateContent (or :streamGenerateContent?alt=sse, :countTokens, :embedContent, :batchEmbedContents).",
		"请使用 POST /v1beta/models/MODEL:generateContent（或 :streamGenerateContent?alt=sse、:countTokens、:embedContent、:batchEmbedContents）。"},
	"gemini.unknown_method": {
		"Gemini method {method} is not served by this gateway.",
		"本网关不提供 Gemini 方法 {method}。"},
	"gemini.unknown_method.hint": {
		"This gateway serves {methods}.",
		"本网关提供 {methods}。"},
	"gemini.embed_model": {
		"Model {model} is not served by a channel that makes embeddings (Gemini or OpenAI-compatible).",
		"模型 {model} 不是由能生成 embedding 的渠道（Gemini 或 OpenAI 兼容）提供的。"},
	"gemini.embed_model.hint": {
		"Use an embedding model: GET /v1beta/models lists the ones with embedContent.",
		"请使用 embedding 模型：GET /v1beta/models 会列出支持 embedContent 的模型。"},
	"gemini.embed_rejected": {
		"The upstream rejected the embedding request: {detail}",
		"上游拒绝了 embedding 请求：{detail}"},
	"gemini.embed_unreadable": {
		"The upstream's embeddings answer could not be read.",
		"无法读取上游返回的 embeddings 结果。"},
	"gemini.not_embed_request": {
		"The request body is not an EmbedContentRequest: {detail}.",
		"请求体不是 EmbedContentRequest：{detail}。"},
	"gemini.no_requests": {"The batch has no requests.", "该批次中没有请求。"},
	"gemini.no_requests.hint": {
		"Send {\"requests\":[{\"content\":{\"parts\":[{\"text\":…}]}}]}.",
		"请发送 {\"requests\":[{\"content\":{\"parts\":[{\"text\":…}]}}]}。"},
	"gemini.no_content":      {"Request {n} has no content.", "第 {n} 个请求没有 content。"},
	"gemini.no_content.hint": {"Send content.parts[].text.", "请发送 content.parts[].text。"},
	"retry.request":          {"Retry the request.", "请重试该请求。"},
}
