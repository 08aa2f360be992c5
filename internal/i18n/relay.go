package i18n

// relayTexts: what went wrong between the gateway and an upstream
// (internal/relay). The upstream's own words are passed on as they are.
var relayTexts = map[Key]Text{
	"relay.no_channel": {
		"No channel serves model {model} for this key's group.",
		"没有渠道为此密钥的分组提供模型 {model}。"},
	"relay.all_busy": {
		"Every channel for this model is at its concurrency limit.",
		"该模型的所有渠道都已达到并发上限。"},
	"relay.all_busy.hint": {
		"Retry in a moment; the gateway operator can raise max_concurrency or add channels.",
		"请稍后重试；网关运维人员可以提高 max_concurrency 或添加渠道。"},
	"relay.channel_disabled": {
		"The upstream provider rejected the gateway's credential for this model's channel, so the channel is disabled. Your key is fine.",
		"上游服务商拒绝了网关为该模型渠道配置的凭据，因此该渠道已被停用。你的密钥没有问题。"},
	"relay.channel_disabled.hint": {
		"This is for the gateway operator: fix the channel's api_key, then POST /admin/v1/channels/<name>/enable (or restart).",
		"这需要网关运维人员处理：修正该渠道的 api_key，然后调用 POST /admin/v1/channels/<name>/enable（或重启）。"},
	"relay.none_tried": {
		"No channel for model {model} could be tried.",
		"模型 {model} 没有可以尝试的渠道。"},
	"relay.none_tried.hint": {
		"Retry shortly; the gateway operator can see each channel's state in GET /admin/v1/channels.",
		"请稍后重试；网关运维人员可以在 GET /admin/v1/channels 中查看每个渠道的状态。"},
	"relay.openai_only": {
		"Model {model} is served by a {type} channel, and {route} can only be sent to OpenAI-compatible channels.",
		"模型 {model} 由 {type} 渠道提供，而 {route} 只能发往 OpenAI 兼容的渠道。"},
	"relay.openai_only.hint": {
		"Use a model served by an OpenAI-compatible channel for this endpoint (GET /v1/models lists them), or use /v1/chat/completions.",
		"请为该端点使用由 OpenAI 兼容渠道提供的模型（GET /v1/models 会列出它们），或改用 /v1/chat/completions。"},
	"relay.rewrite_failed": {
		"The request body could not be rewritten for the upstream.",
		"无法为上游改写请求体。"},
	"relay.rewrite_failed.hint": {"Send a JSON object body.", "请发送 JSON 对象请求体。"},
	"relay.build_failed": {
		"The upstream request could not be built.",
		"无法构建发往上游的请求。"},
	"relay.cut_off": {
		"The upstream's answer was cut off.",
		"上游的应答被截断了。"},
	"relay.not_json": {
		"The upstream answered with a body that is not JSON, so there is no answer to relay; the call is not charged.",
		"上游返回的应答体不是 JSON，因此没有可转发的结果；本次调用不计费。"},
	"relay.not_json.hint": {
		"Retry the request; if it persists, the gateway operator should check the channel (the request id shows the upstream's answer).",
		"请重试该请求；如果问题持续，网关运维人员应检查该渠道（凭请求 ID 可以看到上游的应答）。"},
	"relay.stream_cut": {
		"The upstream stream ended before it was complete.",
		"上游的流式响应在完成前就结束了。"},
	"relay.stream_cut.hint": {
		"Retry the request; the partial answer is billed only for what was produced.",
		"请重试该请求；不完整的应答只按已生成的部分计费。"},
	"relay.no_adapter": {
		"Channel {channel} has type {type}, which this gateway cannot call.",
		"渠道 {channel} 的类型为 {type}，本网关无法调用这种类型。"},
	"relay.unsupported_param": {
		"Parameter {param} is not supported by {provider} (model {model} is served by channel {channel}){detail}.",
		"{provider} 不支持参数 {param}（模型 {model} 由渠道 {channel} 提供）{detail}。"},
	"relay.unsupported_param.hint": {
		"Remove the parameter, or use a model whose provider supports it.",
		"请删除该参数，或改用其服务商支持该参数的模型。"},
	"relay.detail": {": {detail}", "：{detail}"},
	"relay.unconvertible": {
		"The request cannot be converted for the {type} channel serving {model}: {detail}.",
		"无法把该请求转换为提供 {model} 的 {type} 渠道所需的格式：{detail}。"},
	"relay.unconvertible.hint": {
		"Fix the named field; the gateway converts requests between providers and needs it well-formed.",
		"请修正所指出的字段；网关需要在不同服务商之间转换请求，因此它必须格式正确。"},
	"relay.rejected": {
		"The {type} upstream rejected the request for model {model}: {detail}",
		"{type} 上游拒绝了模型 {model} 的请求：{detail}"},
	"relay.rejected.hint": {
		"Fix the request as the upstream's message says; the gateway converted it to the upstream's format.",
		"请按上游消息所说修正请求；网关已把它转换为上游的格式。"},
	"relay.rejected_status": {
		"The {type} upstream rejected the request for model {model} (HTTP {status}): {detail}",
		"{type} 上游拒绝了模型 {model} 的请求（HTTP {status}）：{detail}"},
	"relay.rejected_status.hint": {
		"Fix the request as the upstream's message says; if it names a model or URL the request did not, the gateway operator's channel settings (model_map, base_url) need fixing.",
		"请按上游消息所说修正请求；如果消息中提到的模型或 URL 不是请求里的，那么需要修正网关运维人员的渠道设置（model_map、base_url）。"},
	"relay.auth_failed": {
		"The upstream provider rejected the gateway's credential for this model's channel. Your key is fine.",
		"上游服务商拒绝了网关为该模型渠道配置的凭据。你的密钥没有问题。"},
	"relay.auth_failed.hint": {
		"This is for the gateway operator to fix (the channel's api_key); retry later or use another model.",
		"这需要网关运维人员修复（渠道的 api_key）；请稍后重试或改用其他模型。"},
	"relay.unavailable": {
		"The upstream for this model is unavailable (it answered {status}).",
		"该模型的上游不可用（它返回了 {status}）。"},
	"relay.unavailable.hint": {
		"Retry after a short wait; the request id lets the operator see the upstream's own message.",
		"请稍等片刻后重试；运维人员可以凭请求 ID 看到上游自己的消息。"},
	"relay.unreachable": {
		"The upstream for this model could not be reached.",
		"无法连接该模型的上游。"},
	"relay.timeout": {
		"The upstream for this model did not answer in time.",
		"该模型的上游未能及时应答。"},
	"relay.network.hint": {
		"Retry in a few seconds; if it persists, the gateway operator should check the channel's health.",
		"请几秒后重试；如果问题持续，网关运维人员应检查该渠道的健康状况。"},
	"relay.redirected": {
		"The upstream for this model redirected the request ({status}) to {location}; the gateway does not follow upstream redirects.",
		"该模型的上游把请求重定向（{status}）到了 {location}；网关不跟随上游的重定向。"},
	"relay.redirected.hint": {
		"This is for the gateway operator: set the channel's base_url to the address the upstream redirects to.",
		"这需要网关运维人员处理：把渠道的 base_url 设为上游重定向到的地址。"},
	"relay.model_is_served_by_a": {
		"Model {model_served} is served by a {ch} channel ({name}), which cannot run the built-in tool {tool} ({param}): only {provider} runs it.",
		"模型 {model_served} 由 {ch} 渠道（{name}）提供，它无法运行内置工具 {tool}（{param}）：只有 {provider} 能运行它。"},
	"relay.turn_the_tool_off_in.hint": {
		"Turn the tool off in the client: {setting}. Or use a model served by an OpenAI channel (GET /v1/models).",
		"请在客户端中关闭该工具：{setting}。或者改用由 OpenAI 渠道提供的模型（GET /v1/models）。"},
}
