package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/rules"
)

// apiError is the one error body every endpoint answers with: a stable,
// machine-readable code, the message in English and Persian, and the field of
// the request at fault (a JSON path, a query or path parameter), if any.
type apiError struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	MessageEn string `json:"message_en"`
	MessageFa string `json:"message_fa"`
	Field     string `json:"field,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.MessageEn }

// errorBody is the JSON envelope: {"error": {...}}.
type errorBody struct {
	Error *apiError `json:"error"`
}

// The catalogue of reasons. Codes are stable API; messages may improve.
var (
	errBadJSON = apiError{Status: http.StatusBadRequest, Code: "bad_json",
		MessageEn: "The request body is not valid JSON of the expected shape.",
		MessageFa: "بدنهٔ درخواست JSON معتبر با ساختار مورد انتظار نیست."}
	errBodyTooLarge = apiError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		MessageEn: "The request body is too large.",
		MessageFa: "حجم بدنهٔ درخواست بیش از حد مجاز است."}
	errMissing = apiError{Status: http.StatusBadRequest, Code: "missing_field",
		MessageEn: "A required field is missing.",
		MessageFa: "یک فیلد الزامی وارد نشده است."}
	errInvalid = apiError{Status: http.StatusBadRequest, Code: "invalid_value",
		MessageEn: "A field has an invalid value.",
		MessageFa: "مقدار یک فیلد نامعتبر است."}
	errBadGeometry = apiError{Status: http.StatusBadRequest, Code: "bad_geometry",
		MessageEn: "The geometry is not a valid GeoJSON Polygon or MultiPolygon.",
		MessageFa: "هندسه یک چندضلعی GeoJSON معتبر نیست."}
	errOutsideCity = apiError{Status: http.StatusBadRequest, Code: "outside_municipality",
		MessageEn: "The geometry lies outside the municipality (check the coordinate order: longitude first).",
		MessageFa: "هندسه خارج از محدودهٔ شهر است (ترتیب مختصات را بررسی کنید: ابتدا طول جغرافیایی).",
	}
	errParcelNotFound = apiError{Status: http.StatusNotFound, Code: "parcel_not_found",
		MessageEn: "No parcel has this plate number in the plan version in force.",
		MessageFa: "پلاکی با این شماره در نسخهٔ جاری طرح یافت نشد."}
	errNoPlan = apiError{Status: http.StatusNotFound, Code: "no_plan_version",
		MessageEn: "No plan version was in force on that date.",
		MessageFa: "در آن تاریخ هیچ نسخه‌ای از طرح لازم‌الاجرا نبود."}
	errBadArchive = apiError{Status: http.StatusBadRequest, Code: "bad_archive",
		MessageEn: "The upload is not a zip archive of a plan bundle (manifest.yaml and the layers' GeoJSON files).",
		MessageFa: "فایل ارسالی بایگانی zip یک بستهٔ طرح (manifest.yaml و فایل‌های GeoJSON لایه‌ها) نیست."}
	errInvalidBundle = apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_bundle",
		MessageEn: "The plan bundle breaks the data contract or does not fit this server; nothing was imported. Every problem is listed under problems.",
		MessageFa: "بستهٔ طرح با قرارداد داده یا این سرور سازگار نیست و چیزی وارد نشد؛ همهٔ ایرادها در problems آمده است."}
	errNotInRulePack = apiError{Status: http.StatusUnprocessableEntity, Code: "not_in_rule_pack",
		MessageEn: "The plan gives this parcel a zone (or other key) the rule pack has no regulations for; the municipality must bring the rule pack up to date with the plan.",
		MessageFa: "طرح برای این پلاک پهنه‌ای (یا کلیدی) تعیین کرده که بستهٔ ضوابط برای آن ضابطه‌ای ندارد؛ شهرداری باید بستهٔ ضوابط را با طرح هماهنگ کند."}
	errNotFound = apiError{Status: http.StatusNotFound, Code: "not_found",
		MessageEn: "No such resource.",
		MessageFa: "چنین منبعی وجود ندارد."}
	errUnauthenticated = apiError{Status: http.StatusUnauthorized, Code: "unauthenticated",
		MessageEn: "This needs a valid token: send the header Authorization: Bearer TOKEN.",
		MessageFa: "این درخواست به توکن معتبر نیاز دارد: سرآیند Authorization: Bearer TOKEN را بفرستید."}
	errTokenExpired = apiError{Status: http.StatusUnauthorized, Code: "token_expired",
		MessageEn: "The token has expired; ask for a new one.",
		MessageFa: "اعتبار توکن به پایان رسیده است؛ توکن تازه بگیرید."}
	errForbidden = apiError{Status: http.StatusForbidden, Code: "forbidden",
		MessageEn: "Your role may not do this.",
		MessageFa: "نقش شما اجازهٔ این کار را ندارد."}
	errTransition = apiError{Status: http.StatusConflict, Code: "transition_not_allowed",
		MessageEn: "The record cannot move to that state from the state it is in.",
		MessageFa: "پرونده از وضعیت فعلی به وضعیت خواسته‌شده نمی‌رود."}
	errKeyReused = apiError{Status: http.StatusConflict, Code: "idempotency_key_reused",
		MessageEn: "This Idempotency-Key was already used for another submission; choose a new key.",
		MessageFa: "این کلید یکتایی پیش‌تر برای درخواست دیگری به کار رفته است؛ کلید تازه‌ای برگزینید."}
	errOpenCase = apiError{Status: http.StatusConflict, Code: "open_case",
		MessageEn: "The parcel has a violation case that is not closed.",
		MessageFa: "این پلاک پروندهٔ تخلف بسته‌نشده دارد."}
	errInvalidFiling = apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_filing",
		MessageEn: "The filing is incomplete or inconsistent.",
		MessageFa: "درخواست ناقص یا ناسازگار است."}
	errValidationFailed = apiError{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		MessageEn: "The proposal fails its validation; the report says which checks.",
		MessageFa: "طرح پیشنهادی از کنترل ضوابط نگذشت؛ گزارش، کنترل‌های ناموفق را نشان می‌دهد."}
	errInvalidDecision = apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_decision",
		MessageEn: "The decision does not fit the case's review.",
		MessageFa: "رأی با بررسی پرونده سازگار نیست."}
	errRecordsUnavailable = apiError{Status: http.StatusServiceUnavailable, Code: "records_unavailable",
		MessageEn: "This server keeps no records (applications, cases, certificates).",
		MessageFa: "این سرور پرونده‌ها (درخواست‌ها، پرونده‌های تخلف، گواهی‌ها) را نگه نمی‌دارد."}
	errUnavailable = apiError{Status: http.StatusServiceUnavailable, Code: "store_unavailable",
		MessageEn: "The database cannot be reached; please try again shortly.",
		MessageFa: "پایگاه داده در دسترس نیست؛ لطفاً کمی بعد دوباره تلاش کنید."}
	errInternal = apiError{Status: http.StatusInternalServerError, Code: "internal",
		MessageEn: "Something went wrong on our side; it has been logged.",
		MessageFa: "خطایی در سامانه رخ داد و ثبت شد."}
)

// with returns a copy of a catalogue error naming the field and a detail.
func (e apiError) with(field, detail string) *apiError {
	e.Field, e.Detail = field, detail
	return &e
}

// fail answers the request with an error. Errors that are not *apiError are
// classified: an unreachable store is 503, an unknown resource 404, and
// anything else 500 with the cause logged, never shown.
func (s *Server) fail(c *gin.Context, err error) {
	var ae *apiError
	var missing *rules.MissingRowError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &missing):
		// Not the caller's fault, but nothing they can be told to retry
		// either: the operator must hear of it.
		s.log.WarnContext(c.Request.Context(), "the plan and the rule pack disagree",
			slog.String("path", c.Request.URL.Path), slog.Any("err", err))
		ae = errNotInRulePack.with("", missing.Error())
	case errors.Is(err, layers.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		ae = errUnavailable.with("", "")
	case errors.Is(err, layers.ErrNotFound):
		ae = errNotFound.with("", "")
	case errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil:
		// The client went away: nobody reads an answer, and it is no fault.
		c.Abort()
		return
	default:
		s.log.ErrorContext(c.Request.Context(), "request failed",
			slog.String("path", c.Request.URL.Path), slog.Any("err", err))
		ae = errInternal.with("", "")
	}
	c.AbortWithStatusJSON(ae.Status, errorBody{Error: ae})
}

// recovery turns a panic into the internal error body, so no stack trace or
// dropped connection reaches a user.
func (s *Server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r) // net/http's own way to drop a connection
			}
			s.log.ErrorContext(c.Request.Context(), "handler panicked",
				slog.String("path", c.Request.URL.Path), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			ae := errInternal.with("", "")
			c.AbortWithStatusJSON(ae.Status, errorBody{Error: ae})
		}()
		c.Next()
	}
}
