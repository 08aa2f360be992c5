package i18n

// codeTexts: the one-line title of every error code (the docs index,
// llms.txt) and the generic texts of the renderer itself.
var codeTexts = map[Key]Text{
	"code.missing_authorization": {
		"No credential was sent, or it was sent somewhere the gateway does not read it from.",
		"请求没有携带凭据，或凭据放在了网关不读取的位置。"},
	"code.malformed_authorization": {
		"The Authorization header is not of the form `Bearer <key>`.",
		"Authorization 头的格式不是 `Bearer <key>`。"},
	"code.invalid_api_key_format": {
		"The presented key is not a well-formed keygate key (whitespace, quotes, truncated, typo, another provider's key, unset variable).",
		"发送的密钥不是格式正确的 keygate 密钥（多余空白、引号、被截断、输错、其他服务商的密钥、变量未设置）。"},
	"code.invalid_api_key": {
		"The key is well-formed but this gateway never issued it.",
		"密钥格式正确，但不是本网关签发的。"},
	"code.key_disabled": {
		"The key was disabled by an owner or by a leak report.",
		"密钥已被所有者停用，或因泄露报告被停用。"},
	"code.key_expired": {
		"The key passed its expiry time.",
		"密钥已过有效期。"},
	"code.key_rotated": {
		"The key was replaced by a rotation and its grace period is over.",
		"密钥已在轮换中被替换，且宽限期已结束。"},
	"code.ip_not_allowed": {
		"The request came from an address outside the key's allowed networks.",
		"请求来自密钥允许的网络范围之外的地址。"},
	"code.model_not_allowed": {
		"The key's scope or its group does not include the requested model.",
		"密钥的权限范围或其所在分组不包含所请求的模型。"},
	"code.model_not_found": {
		"The requested model is not in this gateway's catalogue.",
		"所请求的模型不在本网关的模型目录中。"},
	"code.unknown_endpoint": {
		"The path is not an API route of this gateway; usually a wrong base URL.",
		"该路径不是本网关的 API 路由，通常是 base URL 填错了。"},
	"code.method_not_allowed": {
		"The route exists but not for this HTTP method.",
		"该路由存在，但不支持此 HTTP 方法。"},
	"code.insufficient_quota": {
		"A budget that applies to this call (key, member or project) is exhausted.",
		"适用于本次调用的某项预算（密钥、成员或项目）已用完。"},
	"code.rate_limit_exceeded": {
		"A rate limit (requests or tokens per minute, concurrency) was exceeded.",
		"超出了速率限制（每分钟请求数或 token 数、并发数）。"},
	"code.upstream_unavailable": {
		"No healthy upstream channel could serve the model, or all attempts failed.",
		"没有健康的上游渠道能提供该模型，或所有尝试都失败了。"},
	"code.upstream_auth_failed": {
		"The upstream rejected the gateway's channel credential; an operator must fix the channel.",
		"上游拒绝了网关的渠道凭据，需要运维人员修复该渠道。"},
	"code.upstream_timeout": {
		"The upstream did not answer in time.",
		"上游未能及时响应。"},
	"code.upstream_error": {
		"The upstream answered with an error the gateway could not recover from.",
		"上游返回了网关无法恢复的错误。"},
	"code.invalid_request": {
		"The request body or parameters are invalid.",
		"请求体或参数无效。"},
	"code.request_too_large": {
		"The request body is larger than the gateway accepts.",
		"请求体超过了网关接受的大小。"},
	"code.permission_denied": {
		"The credential is valid but its role may not do this.",
		"凭据有效，但其角色无权执行此操作。"},
	"code.not_found": {
		"The object does not exist or is not visible to this credential.",
		"对象不存在，或此凭据无权查看。"},
	"code.conflict": {
		"The object already exists or is in a state that forbids this change.",
		"对象已存在，或其当前状态不允许此更改。"},
	"code.service_unavailable": {
		"The gateway cannot serve this right now (for example its store is unreachable).",
		"网关暂时无法处理此请求（例如无法连接其数据库）。"},
	"code.internal_error": {
		"The gateway failed unexpectedly; the request id lets an operator find the cause.",
		"网关发生意外故障；运维人员可凭请求 ID 查找原因。"},

	"internal.message": {
		"The gateway failed while handling this request.",
		"网关在处理此请求时出错。"},
	"internal.hint": {
		"Retry; if it keeps failing, send the request id to your gateway operator.",
		"请重试；如果持续失败，请把请求 ID 发给网关运维人员。"},
}
