// The ROI checks. Each works on views into the caller's images (no pixel copies for grey
// inputs) and keeps its scratch buffers per thread, because the inspection and DeepPCB paths
// call them for many small tiles in a row.
#include "guard.hpp"
#include <opencv2/imgproc.hpp>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace {

using namespace qcv;

void need_same_size(const cv::Mat& test, const cv::Mat& golden)
{
    if (test.size() != golden.size())
        throw argument_error("golden image is " + std::to_string(golden.cols) + "x" + std::to_string(golden.rows)
                             + " but the test image is " + std::to_string(test.cols) + "x" + std::to_string(test.rows));
}

// The ROI grown by margin on every side, clipped to the image.
cv::Rect grown(const cv::Rect& roi, int margin, const cv::Size& size)
{
    return (cv::Rect(roi.x - margin, roi.y - margin, roi.width + 2 * margin, roi.height + 2 * margin)
            & cv::Rect(0, 0, size.width, size.height));
}

int need_odd_kernel(int k, const char* what)
{
    if (k < 0 || k > 99) throw argument_error(std::string(what) + " must be 0..99");
    if (k > 1 && k % 2 == 0) throw argument_error(std::string(what) + " must be odd");
    return k;
}

} // namespace

extern "C" {

int qcv_check_template(const qcv_mat* test, const qcv_mat* golden, qcv_rect roi, int32_t margin,
                       qcv_template_result* out)
{
    return guarded([&] {
        const cv::Mat& t = need(test, "test image");
        const cv::Mat& g = need(golden, "golden image");
        need_out(out, "result");
        need_same_size(t, g);
        const cv::Rect r = need_inside(t, roi, "ROI");
        if (margin < 0 || margin > 4096) throw argument_error("template margin must be 0..4096");
        const cv::Mat templ = to_gray(g(r));
        cv::Scalar mean, std;
        cv::meanStdDev(templ, mean, std);
        if (std[0] < 1e-6)
            throw argument_error("golden ROI is uniform (no texture), so correlation is undefined; use the intensity or diff check");
        const cv::Rect search = grown(r, margin, t.size());
        thread_local cv::Mat scores;
        cv::matchTemplate(to_gray(t(search)), templ, scores, cv::TM_CCOEFF_NORMED);
        double best = 0;
        cv::Point at;
        cv::minMaxLoc(scores, nullptr, &best, nullptr, &at);
        // A uniform test area gives NaN/inf correlation: report it as no match at all.
        out->score = std::isfinite(best) ? best : -1.0;
        out->dx = search.x + at.x - r.x;
        out->dy = search.y + at.y - r.y;
    });
}

int qcv_check_diff(const qcv_mat* test, const qcv_mat* golden, qcv_rect roi, const qcv_diff_params* p,
                   qcv_rect* blobs, int32_t* blob_areas, int32_t blob_capacity, qcv_diff_result* out)
{
    return guarded([&] {
        const cv::Mat& t = need(test, "test image");
        const cv::Mat& g = need(golden, "golden image");
        need_out(out, "result");
        if (p == nullptr) throw argument_error("diff parameters are null");
        if (blob_capacity < 0 || (blob_capacity > 0 && (blobs == nullptr || blob_areas == nullptr)))
            throw argument_error("blob buffers are missing");
        need_same_size(t, g);
        const cv::Rect r = need_inside(t, roi, "ROI");
        if (p->max_shift < 0 || p->max_shift > 256) throw argument_error("max_shift must be 0..256");
        if (p->threshold < 0 || p->threshold > 255) throw argument_error("threshold must be 0..255");
        if (p->min_area < 0) throw argument_error("min_area must be >= 0");
        const int blur = need_odd_kernel(p->blur_kernel, "blur_kernel");
        const int open = need_odd_kernel(p->open_kernel, "open_kernel");
        const int close = need_odd_kernel(p->close_kernel, "close_kernel");

        const cv::Mat reference = to_gray(g(r));
        cv::Mat aligned;
        int dx = 0, dy = 0;
        // Where the ROI lies in the test image given the known offset, kept inside the image.
        const cv::Rect base(std::clamp(r.x + p->offset_x, 0, t.cols - r.width),
                            std::clamp(r.y + p->offset_y, 0, t.rows - r.height), r.width, r.height);
        if (p->max_shift > 0) {
            // Sum of squared differences is defined even on flat tiles (where normalised
            // correlation is not); on a tie we keep the expected position.
            const cv::Rect search = grown(base, p->max_shift, t.size());
            const cv::Mat area = to_gray(t(search));
            thread_local cv::Mat ssd;
            cv::matchTemplate(area, reference, ssd, cv::TM_SQDIFF);
            double lowest = 0;
            cv::Point at;
            cv::minMaxLoc(ssd, &lowest, nullptr, &at, nullptr);
            const cv::Point zero(base.x - search.x, base.y - search.y);
            if (ssd.at<float>(zero) <= lowest * 1.0001f + 1e-3f) at = zero;
            dx = search.x + at.x - r.x;
            dy = search.y + at.y - r.y;
            aligned = area(cv::Rect(at.x, at.y, r.width, r.height));
        } else {
            aligned = to_gray(t(base));
            dx = base.x - r.x;
            dy = base.y - r.y;
        }

        thread_local cv::Mat a, b, mask;
        if (blur > 1) {
            cv::GaussianBlur(aligned, a, cv::Size(blur, blur), 0);
            cv::GaussianBlur(reference, b, cv::Size(blur, blur), 0);
            cv::absdiff(a, b, mask);
        } else {
            cv::absdiff(aligned, reference, mask);
        }
        cv::threshold(mask, mask, p->threshold, 255, cv::THRESH_BINARY);
        if (open > 1)
            cv::morphologyEx(mask, mask, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {open, open}));
        if (close > 1)
            cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, {close, close}));

        thread_local cv::Mat labels, stats, centroids;
        const int n = cv::countNonZero(mask) == 0 ? 1
                    : cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
        std::vector<int> kept;
        int64_t area = 0;
        for (int i = 1; i < n; ++i) {  // label 0 is the background
            const int pixels = stats.at<int>(i, cv::CC_STAT_AREA);
            if (pixels >= std::max(1, p->min_area)) { kept.push_back(i); area += pixels; }
        }
        std::sort(kept.begin(), kept.end(), [&](int x, int y) {
            return stats.at<int>(x, cv::CC_STAT_AREA) > stats.at<int>(y, cv::CC_STAT_AREA);
        });
        for (int k = 0; k < int(kept.size()) && k < blob_capacity; ++k) {
            const int i = kept[k];
            blobs[k] = {r.x + stats.at<int>(i, cv::CC_STAT_LEFT), r.y + stats.at<int>(i, cv::CC_STAT_TOP),
                        stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT)};
            blob_areas[k] = stats.at<int>(i, cv::CC_STAT_AREA);
        }
        out->dx = dx;
        out->dy = dy;
        out->blob_count = int32_t(kept.size());
        out->defect_area = area;
    });
}

int qcv_estimate_shift(const qcv_mat* test, const qcv_mat* golden, int32_t max_shift, int32_t* dx, int32_t* dy)
{
    return guarded([&] {
        const cv::Mat& t = need(test, "test image");
        const cv::Mat& g = need(golden, "golden image");
        need_out(dx, "dx"); need_out(dy, "dy");
        need_same_size(t, g);
        if (max_shift < 0 || max_shift > 1024) throw argument_error("max_shift must be 0..1024");
        *dx = 0; *dy = 0;
        const int factor = 4;
        // The golden centre (inset by the shift) must stay larger than a few coarse pixels.
        if (max_shift == 0 || t.cols <= 2 * max_shift + 8 * factor || t.rows <= 2 * max_shift + 8 * factor) return;
        const cv::Mat tg = to_gray(t), gg = to_gray(g);
        cv::Mat ts, gs, scores;
        cv::resize(tg, ts, cv::Size(t.cols / factor, t.rows / factor), 0, 0, cv::INTER_AREA);
        cv::resize(gg, gs, cv::Size(t.cols / factor, t.rows / factor), 0, 0, cv::INTER_AREA);
        const int m = (max_shift + factor - 1) / factor;
        const cv::Rect centre(m, m, gs.cols - 2 * m, gs.rows - 2 * m);
        cv::matchTemplate(ts, gs(centre), scores, cv::TM_SQDIFF);
        cv::Point at;
        cv::minMaxLoc(scores, nullptr, nullptr, &at, nullptr);
        const int cx = (at.x - m) * factor, cy = (at.y - m) * factor;
        // Refine at full resolution around the coarse answer, on the central half of the image
        // (a 192 px patch was 30% faster but too often flat on DeepPCB boards).
        const int inset = std::abs(cx) + std::abs(cy) + max_shift + factor;
        const cv::Rect inner(t.cols / 4, t.rows / 4, t.cols / 2, t.rows / 2);
        const cv::Rect search = grown(cv::Rect(inner.x + cx, inner.y + cy, inner.width, inner.height), factor, t.size());
        if (inset >= inner.x || inset >= inner.y || search.width < inner.width || search.height < inner.height) {
            *dx = cx; *dy = cy;
            return;
        }
        cv::matchTemplate(tg(search), gg(inner), scores, cv::TM_SQDIFF);
        cv::minMaxLoc(scores, nullptr, nullptr, &at, nullptr);
        *dx = search.x + at.x - inner.x;
        *dy = search.y + at.y - inner.y;
    });
}

int qcv_check_intensity(const qcv_mat* test, qcv_rect roi, double* mean4, double* std4, int32_t* channels)
{
    return guarded([&] {
        const cv::Mat& t = need(test, "test image");
        need_out(mean4, "mean"); need_out(std4, "std"); need_out(channels, "channels");
        const cv::Rect r = need_inside(t, roi, "ROI");
        cv::Scalar mean, std;
        cv::meanStdDev(t(r), mean, std);
        *channels = t.channels();
        for (int c = 0; c < 4; ++c) { mean4[c] = mean[c]; std4[c] = std[c]; }
    });
}

int qcv_check_edges(const qcv_mat* test, qcv_rect roi, int32_t blur_kernel, double low, double high, double* density)
{
    return guarded([&] {
        const cv::Mat& t = need(test, "test image");
        need_out(density, "density");
        const cv::Rect r = need_inside(t, roi, "ROI");
        const int blur = need_odd_kernel(blur_kernel, "blur_kernel");
        if (!(low >= 0 && high >= low)) throw argument_error("Canny thresholds need 0 <= low <= high");
        thread_local cv::Mat smooth, edges;
        cv::Mat gray = to_gray(t(r));
        if (blur > 1) { cv::GaussianBlur(gray, smooth, cv::Size(blur, blur), 0); gray = smooth; }
        cv::Canny(gray, edges, low, high);
        *density = double(cv::countNonZero(edges)) / (double(r.width) * r.height);
    });
}

} // extern "C"
