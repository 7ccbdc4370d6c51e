/* qcvision: QcPipeline's own C interface over OpenCV 4.
 * Every function returns a status (QCV_OK or a negative code); on failure the message is
 * kept per thread and read with qcv_last_error() on the same thread, right after the call.
 * Mats travel as opaque qcv_mat pointers and are freed with qcv_mat_free. */
#ifndef QCVISION_H
#define QCVISION_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCV_API __attribute__((visibility("default")))

enum qcv_status {
    QCV_OK = 0,
    QCV_ERR_ARGUMENT = -1,   /* bad input caught at the boundary */
    QCV_ERR_DECODE = -2,     /* bytes are not a decodable image */
    QCV_ERR_OPENCV = -3,     /* cv::Exception */
    QCV_ERR_MEMORY = -4,     /* std::bad_alloc */
    QCV_ERR_INTERNAL = -5    /* any other exception */
};

typedef struct qcv_mat qcv_mat;

typedef struct { int32_t x, y, width, height; } qcv_rect;

/* decode modes */
enum { QCV_READ_COLOR = 0, QCV_READ_GRAY = 1, QCV_READ_UNCHANGED = 2 };

QCV_API const char* qcv_last_error(void);
QCV_API int qcv_version(char* buffer, int32_t capacity);
QCV_API int qcv_set_threads(int32_t threads);
QCV_API int qcv_get_threads(int32_t* threads);

QCV_API void qcv_mat_free(qcv_mat* mat);
QCV_API int qcv_mat_info(const qcv_mat* mat, int32_t* width, int32_t* height, int32_t* channels);
QCV_API int qcv_create(int32_t width, int32_t height, int32_t channels, uint8_t fill, qcv_mat** out);
QCV_API int qcv_copy_pixels(const qcv_mat* mat, uint8_t* buffer, int64_t capacity);
QCV_API int qcv_decode(const uint8_t* data, int64_t length, int32_t mode, qcv_mat** out);
QCV_API int qcv_encode(const qcv_mat* mat, const char* extension, int32_t quality, uint8_t** data, int64_t* length);
QCV_API void qcv_buffer_free(uint8_t* data);
QCV_API int qcv_crop(const qcv_mat* mat, qcv_rect rect, qcv_mat** out);
QCV_API int qcv_clone(const qcv_mat* mat, qcv_mat** out);
QCV_API int qcv_grayscale(const qcv_mat* mat, qcv_mat** out);
/* a 3-channel BGR copy (grey is replicated, BGRA loses alpha) */
QCV_API int qcv_to_color(const qcv_mat* mat, qcv_mat** out);
QCV_API int qcv_draw_rect(qcv_mat* mat, qcv_rect rect, uint8_t r, uint8_t g, uint8_t b, int32_t thickness);
QCV_API int qcv_draw_text(qcv_mat* mat, const char* text, int32_t x, int32_t y, double scale,
                          uint8_t r, uint8_t g, uint8_t b);

/* ---- checks: all take the whole test and golden images and one ROI in image pixels ---- */

typedef struct { double score; int32_t dx, dy; } qcv_template_result;
QCV_API int qcv_check_template(const qcv_mat* test, const qcv_mat* golden, qcv_rect roi,
                               int32_t margin, qcv_template_result* out);

typedef struct {
    int32_t max_shift;      /* alignment search radius in pixels; 0 = none */
    int32_t blur_kernel;    /* odd Gaussian kernel applied to both crops; 0 or 1 = none */
    int32_t threshold;      /* absolute grey difference counted as a defect pixel */
    int32_t open_kernel;    /* square opening to drop thin edge noise; 0 or 1 = none */
    int32_t close_kernel;   /* square closing to join a broken blob; 0 or 1 = none */
    int32_t min_area;       /* blobs smaller than this (pixels) are ignored */
    int32_t offset_x;       /* known shift of the test image against the golden one (e.g. from */
    int32_t offset_y;       /* qcv_estimate_shift); the alignment search is centred on it */
    int32_t tolerance;      /* > 0: a test pixel is a defect only when it lies threshold beyond the golden's
                               min..max over a (2*tolerance+1) square around it; 0 = plain |test - golden| */
} qcv_diff_params;

typedef struct {
    int32_t dx, dy;         /* chosen alignment shift of the test image */
    int32_t blob_count;     /* blobs kept (may exceed the capacity passed in) */
    int64_t defect_area;    /* pixels in kept blobs */
} qcv_diff_result;

QCV_API int qcv_check_diff(const qcv_mat* test, const qcv_mat* golden, qcv_rect roi,
                           const qcv_diff_params* params, qcv_rect* blobs, int32_t* blob_areas,
                           int32_t blob_capacity, qcv_diff_result* out);

/* Global translation of the test image against the golden one (same size), within +-max_shift:
 * the central half of the golden image searched over the whole range at full resolution. */
QCV_API int qcv_estimate_shift(const qcv_mat* test, const qcv_mat* golden, int32_t max_shift,
                               int32_t* dx, int32_t* dy);

/* mean and std of each channel (up to 4) of the test ROI */
QCV_API int qcv_check_intensity(const qcv_mat* test, qcv_rect roi, double* mean4, double* std4,
                                int32_t* channels);

/* fraction of Canny edge pixels in the test ROI */
QCV_API int qcv_check_edges(const qcv_mat* test, qcv_rect roi, int32_t blur_kernel,
                            double low, double high, double* density);

#ifdef __cplusplus
}
#endif
#endif
