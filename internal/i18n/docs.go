package i18n

// docsTexts: the frame of the documentation site (internal/docs): titles,
// navigation, the indexes and the not-found answers. The pages themselves
// are Markdown files in both languages next to internal/docs.
var docsTexts = map[Key]Text{
	"docs.lang.name":           {"English", "简体中文"},
	"docs.footer":              {"keygate documentation", "keygate 文档"},
	"docs.nav.all_errors":      {"← All error codes", "← 全部错误代码"},
	"docs.nav.all_guides":      {"← All guides", "← 全部指南"},
	"docs.nav.errors":          {"Error codes", "错误代码"},
	"docs.nav.guides":          {"Guides", "指南"},
	"docs.errors.title":        {"keygate error codes", "keygate 错误代码"},
	"docs.errors.title_suffix": {"keygate errors", "keygate 错误"},
	"docs.guides.title":        {"keygate guides", "keygate 指南"},
	"docs.guides.title_suffix": {"keygate guides", "keygate 指南"},
	"docs.errors.intro": {
		"Every error keygate returns is OpenAI-shaped, so SDKs surface it, and carries fields that explain it:",
		"keygate 返回的每个错误都采用 OpenAI 的格式（SDK 能直接显示），并带有解释它的字段："},
	"docs.errors.lookup": {
		"Look up the `code` below. When you ask for help, send the `request_id` (also in the `x-request-id` response header), " +
			"the key's display form (like `kg_live_7HqK…p2Xe`), the time in UTC, the base URL and the model. **Never send a full key.**",
		"在下面查找 `code`。求助时请提供 `request_id`（也在响应头 `x-request-id` 中）、密钥的显示形式（如 `kg_live_7HqK…p2Xe`）、" +
			"UTC 时间、base URL 和模型。**切勿发送完整密钥。** 发送 `Accept-Language: zh-CN` 请求头即可获得中文的 `message` 和 `hint`（`code` 和 `type` 不变）。"},
	"docs.errors.codes": {"Codes", "错误代码"},
	"docs.errors.guides": {
		"Checklists for what usually comes next — a leaked key, a rotation, a 401, a missing model, a support request, team costs, a handoff — are in the [guides](/docs/guides).",
		"后续常见情况的检查清单——密钥泄露、轮换、401、模型找不到、向支持求助、团队成本、交接——见[指南](/docs/guides)。"},
	"docs.errors.markdown": {
		"Each page is also available as Markdown: add `.md` to its path or send `Accept: text/markdown`. " +
			"An index for tools and agents is at [/llms.txt](/llms.txt).",
		"每个页面也有 Markdown 版本：在路径后加 `.md`，或发送 `Accept: text/markdown`。" +
			"供工具和智能体使用的索引在 [/llms.txt](/llms.txt)。"},
	"docs.guides.intro": {
		"Short checklists built from what the gateway itself records. Each names the commands and admin API routes that exist in this gateway.",
		"根据网关自身记录整理的简短检查清单。每份清单只列出本网关实际存在的命令和管理 API 路由。"},
	"docs.guides.errors": {
		"Every error code has its own page in the [error reference](/docs/errors).",
		"每个错误代码在[错误参考](/docs/errors)中都有自己的页面。"},
	"docs.llms.errors":    {"Error codes", "错误代码（简体中文）"},
	"docs.llms.guides":    {"Guides", "指南（简体中文）"},
	"docs.llms.code_line": {": HTTP {status}, {type}. {title}", "：HTTP {status}，{type}。{title}"},

	"docs.notfound.path": {
		"No documentation at this path.",
		"此路径下没有文档。"},
	"docs.notfound.where": {
		"Error codes are documented at /docs/errors (one page per code: /docs/errors/<code>), guides at /docs/guides.\nAn index for tools and agents is at /llms.txt.",
		"错误代码的文档在 /docs/errors（每个代码一页：/docs/errors/<code>），指南在 /docs/guides。\n供工具和智能体使用的索引在 /llms.txt。"},
	"docs.notfound.code": {
		"No documentation page for error code {code}.",
		"没有错误代码 {code} 的文档页面。"},
	"docs.notfound.did_you_mean": {
		"Did you mean {guess}? See {path}",
		"你是不是要找 {guess}？请看 {path}"},
	"docs.notfound.code_hint": {
		"Use the exact value of the \"code\" field of the error body (for example invalid_api_key).",
		"请使用错误响应体中 \"code\" 字段的原值（例如 invalid_api_key）。"},
	"docs.notfound.guide": {
		"No guide named {guide}.",
		"没有名为 {guide} 的指南。"},
}
