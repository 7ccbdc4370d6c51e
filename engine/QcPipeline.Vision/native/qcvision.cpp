// Lifecycle, errors and simple image operations of the qcvision C interface.
#include "guard.hpp"
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <cstdlib>
#include <cstring>

namespace qcv {

thread_local std::string last_error;

void set_error(const std::string& message) { last_error = message; }

const cv::Mat& need(const qcv_mat* mat, const char* what)
{
    if (mat == nullptr) throw argument_error(std::string(what) + " is null");
    if (mat->mat.empty()) throw argument_error(std::string(what) + " is empty");
    return mat->mat;
}

void need_out(const void* out, const char* what)
{
    if (out == nullptr) throw argument_error(std::string("output ") + what + " is null");
}

cv::Rect need_inside(const cv::Mat& image, qcv_rect r, const char* what)
{
    // 64-bit sums so that huge values cannot wrap around into a valid-looking rectangle.
    const int64_t right = int64_t(r.x) + r.width, bottom = int64_t(r.y) + r.height;
    if (r.width <= 0 || r.height <= 0 || r.x < 0 || r.y < 0 || right > image.cols || bottom > image.rows)
        throw argument_error(std::string(what) + " (x=" + std::to_string(r.x) + " y=" + std::to_string(r.y)
            + " w=" + std::to_string(r.width) + " h=" + std::to_string(r.height) + ") is not inside the "
            + std::to_string(image.cols) + "x" + std::to_string(image.rows) + " image");
    return cv::Rect(r.x, r.y, r.width, r.height);
}

qcv_mat* wrap(cv::Mat mat) { return new qcv_mat{std::move(mat)}; }

cv::Mat to_gray(const cv::Mat& crop)
{
    if (crop.channels() == 1) return crop;
    cv::Mat gray;
    cv::cvtColor(crop, gray, crop.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    return gray;
}

} // namespace qcv

using namespace qcv;

extern "C" {

const char* qcv_last_error(void) { return last_error.c_str(); }

int qcv_version(char* buffer, int32_t capacity)
{
    return guarded([&] {
        need_out(buffer, "buffer");
        if (capacity <= 0) throw argument_error("buffer capacity must be positive");
        std::string v = cv::getVersionString();
        std::strncpy(buffer, v.c_str(), size_t(capacity) - 1);
        buffer[capacity - 1] = '\0';
    });
}

int qcv_set_threads(int32_t threads)
{
    return guarded([&] { cv::setNumThreads(threads); });
}

int qcv_get_threads(int32_t* threads)
{
    return guarded([&] { need_out(threads, "threads"); *threads = cv::getNumThreads(); });
}

void qcv_mat_free(qcv_mat* mat) { delete mat; }

int qcv_mat_info(const qcv_mat* mat, int32_t* width, int32_t* height, int32_t* channels)
{
    return guarded([&] {
        if (mat == nullptr) throw argument_error("image is null");
        need_out(width, "width"); need_out(height, "height"); need_out(channels, "channels");
        *width = mat->mat.cols; *height = mat->mat.rows; *channels = mat->mat.channels();
    });
}

int qcv_create(int32_t width, int32_t height, int32_t channels, uint8_t fill, qcv_mat** out)
{
    return guarded([&] {
        need_out(out, "image");
        *out = nullptr;
        if (width <= 0 || height <= 0) throw argument_error("image size must be positive");
        if (channels != 1 && channels != 3 && channels != 4) throw argument_error("channels must be 1, 3 or 4");
        *out = wrap(cv::Mat(height, width, CV_8UC(channels), cv::Scalar::all(fill)));
    });
}

int qcv_copy_pixels(const qcv_mat* mat, uint8_t* buffer, int64_t capacity)
{
    return guarded([&] {
        const cv::Mat& m = need(mat, "image");
        need_out(buffer, "buffer");
        const int64_t row = int64_t(m.cols) * m.elemSize();
        if (capacity < row * m.rows) throw argument_error("pixel buffer is too small");
        for (int y = 0; y < m.rows; ++y) std::memcpy(buffer + y * row, m.ptr(y), size_t(row));
    });
}

int qcv_encode(const qcv_mat* mat, const char* extension, int32_t quality, uint8_t** data, int64_t* length)
{
    return guarded([&] {
        const cv::Mat& m = need(mat, "image");
        need_out(data, "data"); need_out(length, "length");
        if (extension == nullptr) throw argument_error("extension is null");
        *data = nullptr; *length = 0;
        std::vector<int> options;
        if (quality > 0) options = {cv::IMWRITE_JPEG_QUALITY, quality};
        std::vector<uchar> bytes;
        if (!cv::imencode(extension, m, bytes, options))
            throw argument_error(std::string("cannot encode image as ") + extension);
        // malloc so that qcv_buffer_free can release it without knowing the vector.
        *data = static_cast<uint8_t*>(std::malloc(bytes.size()));
        if (*data == nullptr) throw std::bad_alloc();
        std::memcpy(*data, bytes.data(), bytes.size());
        *length = int64_t(bytes.size());
    });
}

void qcv_buffer_free(uint8_t* data) { std::free(data); }

int qcv_crop(const qcv_mat* mat, qcv_rect rect, qcv_mat** out)
{
    return guarded([&] {
        const cv::Mat& m = need(mat, "image");
        need_out(out, "image");
        *out = nullptr;
        *out = wrap(m(need_inside(m, rect, "crop rectangle")));
    });
}

int qcv_clone(const qcv_mat* mat, qcv_mat** out)
{
    return guarded([&] {
        const cv::Mat& m = need(mat, "image");
        need_out(out, "image");
        *out = nullptr;
        *out = wrap(m.clone());
    });
}

int qcv_grayscale(const qcv_mat* mat, qcv_mat** out)
{
    return guarded([&] {
        const cv::Mat& m = need(mat, "image");
        need_out(out, "image");
        *out = nullptr;
        cv::Mat gray = to_gray(m);
        *out = wrap(gray.data == m.data ? m.clone() : gray);
    });
}

int qcv_to_color(const qcv_mat* mat, qcv_mat** out)
{
    return guarded([&] {
        const cv::Mat& m = need(mat, "image");
        need_out(out, "image");
        *out = nullptr;
        cv::Mat colour;
        if (m.channels() == 3) colour = m.clone();
        else cv::cvtColor(m, colour, m.channels() == 4 ? cv::COLOR_BGRA2BGR : cv::COLOR_GRAY2BGR);
        *out = wrap(colour);
    });
}

static cv::Scalar colour_for(const cv::Mat& m, uint8_t r, uint8_t g, uint8_t b)
{
    if (m.channels() == 1) return cv::Scalar(0.299 * r + 0.587 * g + 0.114 * b);
    return cv::Scalar(b, g, r, 255);
}

int qcv_draw_rect(qcv_mat* mat, qcv_rect rect, uint8_t r, uint8_t g, uint8_t b, int32_t thickness)
{
    return guarded([&] {
        if (mat == nullptr) throw argument_error("image is null");
        cv::Mat& m = mat->mat;
        need(mat, "image");
        if (rect.width <= 0 || rect.height <= 0) throw argument_error("rectangle size must be positive");
        if (thickness == 0 || thickness > 1000) throw argument_error("thickness must be 1..1000 or negative (filled)");
        // Drawing clips to the image itself, so a partly outside box is drawn where visible.
        cv::rectangle(m, cv::Rect(rect.x, rect.y, rect.width, rect.height), colour_for(m, r, g, b),
                      thickness < 0 ? cv::FILLED : thickness);
    });
}

int qcv_draw_text(qcv_mat* mat, const char* text, int32_t x, int32_t y, double scale,
                  uint8_t r, uint8_t g, uint8_t b)
{
    return guarded([&] {
        if (mat == nullptr) throw argument_error("image is null");
        need(mat, "image");
        if (text == nullptr) throw argument_error("text is null");
        if (!(scale > 0 && scale <= 100)) throw argument_error("text scale must be in (0, 100]");
        cv::Mat& m = mat->mat;
        const int thickness = std::max(1, int(scale * 1.5));
        cv::putText(m, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale, colour_for(m, r, g, b),
                    thickness, cv::LINE_AA);
    });
}

} // extern "C"
