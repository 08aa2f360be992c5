package i18n

// mediaTexts: image requests and video jobs (internal/httpapi images.go,
// videos.go). The upstream's words about a failed job are passed on as
// they are.
var mediaTexts = map[Key]Text{
	"image.bad_content_type": {
		"POST /v1/images/edits takes a multipart/form-data body (the image files and the fields), not {type}.",
		"POST /v1/images/edits 接受 multipart/form-data 请求体（图像文件和各字段），而不是 {type}。"},
	"image.bad_content_type.hint": {
		"Send the fields model, prompt (and n, size, quality…) with the image file(s) as image (or image[]) and an optional mask, as multipart/form-data; the OpenAI SDKs do this for you.",
		"请以 multipart/form-data 发送字段 model、prompt（以及 n、size、quality……），图像文件作为 image（或 image[]），mask 可选；OpenAI SDK 会自动这样做。"},
	"image.no_image": {
		"The edit request has no image: send one or more files as image (or image[]).",
		"编辑请求中没有图像：请以 image（或 image[]）发送一个或多个文件。"},
	"multipart.unreadable_detail": {
		"The multipart body could not be read: {detail}.",
		"无法读取 multipart 请求体：{detail}。"},
	"multipart.unreadable_detail.hint": {
		"Send a well-formed multipart/form-data body whose boundary matches the Content-Type header.",
		"请发送格式正确、boundary 与 Content-Type 头一致的 multipart/form-data 请求体。"},
	"multipart.unreadable": {
		"The multipart body could not be read.",
		"无法读取 multipart 请求体。"},
	"multipart.boundary": {
		"The multipart boundary cannot be reused.",
		"multipart 的 boundary 无法复用。"},
	"multipart.rewrite": {
		"The multipart body could not be rewritten.",
		"无法改写 multipart 请求体。"},
	"image.bad_n": {
		"n must be a whole number of images, not {value}.",
		"n 必须是图像的整数张数，而不是 {value}。"},
	"image.no_model.hint": {
		"Add \"model\": one of the image models GET /v1/models lists.",
		"请加上 \"model\"：取 GET /v1/models 列出的图像模型之一。"},
	"image.no_prompt": {
		"The request has no \"prompt\": say what the image should show.",
		"请求中没有 \"prompt\"：请说明图像应该呈现什么。"},
	"image.too_many": {
		"n is {n}; one call makes 1 to {max} images.",
		"n 为 {n}；一次调用可以生成 1 到 {max} 张图像。"},
	"image.too_many.hint": {"Ask for fewer images per call.", "请减少每次调用请求的图像数量。"},
	"image.openai_only": {
		"Model {model} is served only by channels that are neither OpenAI-compatible nor Gemini, and {route} goes only to those image APIs.",
		"模型 {model} 只由既非 OpenAI 兼容、也非 Gemini 的渠道提供，而 {route} 只会转发给这两类图像 API。"},
	"image.openai_only.hint": {
		"Use an image model served by an OpenAI-compatible or Gemini channel (GET /v1/models lists the models).",
		"请使用由 OpenAI 兼容渠道或 Gemini 渠道提供的图像模型（GET /v1/models 会列出这些模型）。"},
	"image.gemini_no_stream": {
		"Model {model} is served by Gemini, which streams no partial images.",
		"模型 {model} 由 Gemini 提供，Gemini 不会以流式返回部分图像。"},
	"image.gemini_no_stream.hint": {
		"Send the request without \"stream\": true.",
		"请去掉 \"stream\": true 后再发送请求。"},
	"key.request_type": {
		"Key {key} may not make {type} requests: it is scoped to the request types {types}.",
		"密钥 {key} 不能发起 {type} 请求：它被限制为请求类型 {types}。"},
	"key.request_type.hint": {
		"Use a key allowed to make {type} requests, or ask the key's owner to add {quoted} to its request_types.",
		"请使用允许发起 {type} 请求的密钥，或请密钥所有者把 {quoted} 加入其 request_types。"},

	"video.bad_seconds": {
		"seconds is {value}; a video is 1 to {max} whole seconds long.",
		"seconds 为 {value}；视频时长为 1 到 {max} 整秒。"},
	"video.bad_seconds.hint": {
		"Send \"seconds\": \"4\" (or 8, 12 — what the model offers).",
		"请发送 \"seconds\": \"4\"（或 8、12——取模型提供的值）。"},
	"video.bad_reference": {
		"input_reference must be {\"image_url\": \"https://… or data:…\"} in a JSON body.",
		"在 JSON 请求体中，input_reference 必须是 {\"image_url\": \"https://… 或 data:…\"}。"},
	"video.bad_reference.hint": {
		"To upload a file, send the request as multipart/form-data with the file as input_reference.",
		"如需上传文件，请以 multipart/form-data 发送请求，并把文件作为 input_reference。"},
	"video.json.hint": {
		"Send {\"model\": \"…\", \"prompt\": \"…\", \"seconds\": \"4\"} as application/json, or the same fields as multipart/form-data.",
		"请以 application/json 发送 {\"model\": \"…\", \"prompt\": \"…\", \"seconds\": \"4\"}，或以 multipart/form-data 发送同样的字段。"},
	"video.disabled": {
		"This gateway runs no video jobs.",
		"本网关不运行视频任务。"},
	"video.disabled.hint": {
		"Ask the operator; video jobs start with the gateway.",
		"请询问运维人员；视频任务随网关一起启动。"},
	"video.no_model.hint": {
		"Add \"model\": one of the video models GET /v1/models lists.",
		"请加上 \"model\"：取 GET /v1/models 列出的视频模型之一。"},
	"video.no_prompt": {
		"The request has no \"prompt\": say what the video should show.",
		"请求中没有 \"prompt\"：请说明视频应该呈现什么。"},
	"video.no_channel": {
		"No enabled channel that runs video jobs (OpenAI-compatible /v1/videos or Gemini Veo) serves model {model}.",
		"没有能运行视频任务的已启用渠道（OpenAI 兼容的 /v1/videos 或 Gemini Veo）提供模型 {model}。"},
	"video.no_channel.hint": {
		"Use a video model (GET /v1/models), or ask the gateway operator to add a channel for this one.",
		"请使用视频模型（GET /v1/models），或请网关运维人员为该模型添加渠道。"},
	"video.capped.project": {"project {name}", "项目 {name}"},
	"video.capped.channel": {
		"every channel serving this model (the last tried: {name})",
		"提供该模型的每个渠道（最后尝试的是 {name}）"},
	"video.capped": {
		"Video jobs are capped: {which} has {n} jobs in flight, its max_jobs is {cap}.",
		"视频任务已达上限：{which}有 {n} 个任务在进行中，其 max_jobs 为 {cap}。"},
	"video.capped.hint": {
		"Wait for a job to finish (GET /v1/videos shows them), or ask the gateway operator to raise max_jobs.",
		"请等待某个任务完成（GET /v1/videos 会列出它们），或请网关运维人员提高 max_jobs。"},
	"video.create_failed": {
		"The video job could not be created.",
		"无法创建视频任务。"},
	"video.failed": {"{detail} (job {id})", "{detail}（任务 {id}）"},
	"video.failed.invalid.hint": {
		"Change the request; GET /v1/videos/{id} keeps the job's record.",
		"请修改请求；GET /v1/videos/{id} 会保留该任务的记录。"},
	"video.failed.balance.hint": {
		"This is for the gateway operator: the upstream account needs funds. Your own budget was not charged.",
		"这需要网关运维人员处理：上游账户需要充值。你自己的预算没有被扣费。"},
	"video.failed.retry.hint": {"Retry after a short wait.", "请稍等片刻后重试。"},
	"video.not_found": {
		"No video job {id} in project {project}.",
		"项目 {project} 中没有视频任务 {id}。"},
	"video.not_found.hint": {
		"GET /v1/videos lists this project's jobs; ids start with video_.",
		"GET /v1/videos 会列出本项目的任务；任务 ID 以 video_ 开头。"},
	"video.unreadable":  {"The job cannot be read right now.", "暂时无法读取该任务。"},
	"video.list_failed": {"The jobs cannot be read right now.", "暂时无法读取任务列表。"},
	"video.bad_limit":   {"limit={value}; use 1 to 100.", "limit={value}；请使用 1 到 100。"},
	"video.bad_variant": {"variant={value}; use video, thumbnail or spritesheet.", "variant={value}；请使用 video、thumbnail 或 spritesheet。"},
	"video.not_ready": {
		"Video job {id} is {status}; its content exists once it is completed.",
		"视频任务 {id} 的状态为 {status}；任务完成后才会有内容。"},
	"video.not_ready.hint": {
		"Poll GET /v1/videos/{id} until status is completed.",
		"请轮询 GET /v1/videos/{id}，直到状态为 completed。"},
	"video.expired": {
		"The content of video job {id} expired at {at}.",
		"视频任务 {id} 的内容已于 {at} 过期。"},
	"video.expired.hint": {
		"Generate the video again; download results before expires_at.",
		"请重新生成视频；请在 expires_at 之前下载结果。"},
	"video.no_variant": {
		"The upstream has no {variant} for video job {id} (any more).",
		"上游（已）没有视频任务 {id} 的 {variant}。"},
	"video.fetch_failed": {
		"The video's content could not be fetched from the upstream.",
		"无法从上游获取视频内容。"},
	"video.cancel_failed": {
		"The job could not be cancelled right now.",
		"暂时无法取消该任务。"},
	"req.the_upstream_s_answer_could": {
		"The upstream's answer could not be read.",
		"无法读取上游的应答。"},
	"req.the_upstream_made_no_image": {
		"The upstream made no image: {why}.",
		"上游没有生成图像：{why}。"},
	"req.change_the_prompt_content_the.hint": {
		"Change the prompt; content the model refuses is not billed beyond the tokens it reports.",
		"请修改提示词；模型拒绝生成的内容，除其报告的 token 外不会另外计费。"},
	"req.no_enabled_channel_serves_this": {
		"No enabled channel serves this image model.",
		"没有已启用的渠道提供这个图像模型。"},
	"req.retry_shortly_the_operator_sees.hint": {
		"Retry shortly; the operator sees the channels' state in GET /admin/v1/channels.",
		"请稍后重试；运维人员可以在 GET /admin/v1/channels 中查看渠道状态。"},
	"req.the_upstream_for_this_model": {
		"The upstream for this model is unreachable.",
		"无法连接该模型的上游。"},
	"req.the_upstream_for_this_model2": {
		"The upstream for this model is unavailable (it answered {status_code}).",
		"该模型的上游不可用（它返回了 {status_code}）。"},
	"req.the_upstream_refused_the_image": {
		"The upstream refused the image request ({status_code}): {words}",
		"上游拒绝了图像请求（{status_code}）：{words}"},
	"req.the_request_body_could_not": {
		"The request body could not be rewritten with a lower cap.",
		"无法用更低的上限改写请求体。"},
	"req.image_auth_failed": {
		"The upstream rejected the gateway's credential for this model's channel. Your key is fine.",
		"上游拒绝了网关为该模型渠道配置的凭据。你的密钥没有问题。"},
}
