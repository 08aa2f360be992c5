package i18n

// serviceTexts: errors of the service layer (internal/service) that no
// single transport owns.
var serviceTexts = map[Key]Text{
	"svc.the_object_does_not_exist": {
		"The object does not exist (any more).",
		"该对象不存在（或已不存在）。"},
	"svc.list_the_objects_to_find.hint": {
		"List the objects (GET /admin/v1/…) to find the right id.",
		"请列出对象（GET /admin/v1/…）以找到正确的 ID。"},
}
