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
        if (p->tolerance < 0 || p->tolerance > 16) throw argument_error("tolerance must be 0..16");

        // Only the part of the ROI whose counterpart (at the known offset) lies inside the test image
        // can be compared: clamping the whole ROI back inside would misalign it and flag the board edge.
        const cv::Rect inner = r & cv::Rect(-p->offset_x, -p->offset_y, t.cols, t.rows);
        if (inner.empty()) {
            out->dx = p->offset_x; out->dy = p->offset_y; out->blob_count = 0; out->defect_area = 0;
            return;
        }
        const cv::Mat reference = to_gray(g(inner));
        const cv::Rect base(inner.x + p->offset_x, inner.y + p->offset_y, inner.width, inner.height);
        cv::Mat aligned;
        int dx = 0, dy = 0;
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
            dx = search.x + at.x - inner.x;
            dy = search.y + at.y - inner.y;
            aligned = area(cv::Rect(at.x, at.y, inner.width, inner.height));
        } else {
            aligned = to_gray(t(base));
            dx = p->offset_x;
            dy = p->offset_y;
        }

        thread_local cv::Mat a, b, mask, lo, hi, under;
        if (blur > 1) {
            cv::GaussianBlur(aligned, a, cv::Size(blur, blur), 0);
            cv::GaussianBlur(reference, b, cv::Size(blur, blur), 0);
        } else {
            a = aligned;
            b = reference;
        }
        if (p->tolerance > 0) {
            // Tolerance band: an edge that moved by up to `tolerance` pixels stays within the golden's
            // local min..max, so only copper that appears or vanishes beyond it counts.
            const int k = 2 * p->tolerance + 1;
            const cv::Mat square = cv::getStructuringElement(cv::MORPH_RECT, {k, k});
            cv::erode(b, lo, square);
            cv::dilate(b, hi, square);
            cv::subtract(a, hi, mask);   // saturating: brighter than anything nearby in the golden
            cv::subtract(lo, a, under);  // darker than anything nearby
            cv::max(mask, under, mask);
        } else {
            cv::absdiff(a, b, mask);
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
            // In test-image pixels: the compared test area starts at the ROI plus the chosen shift.
            blobs[k] = {inner.x + dx + stats.at<int>(i, cv::CC_STAT_LEFT), inner.y + dy + stats.at<int>(i, cv::CC_STAT_TOP),
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
        // The central half of the golden image, searched over the whole range at full resolution
        // (OpenCV correlates in the frequency domain, so the range costs little). A coarse-to-fine
        // search on reduced images was faster but locked onto wrong shifts on periodic boards.
        const cv::Rect inner(t.cols / 4, t.rows / 4, t.cols / 2, t.rows / 2);
        const int reach = std::min({max_shift, inner.x, inner.y});
        if (reach == 0) return;
        const cv::Mat tg = to_gray(t), gg = to_gray(g);
        cv::Mat scores;
        cv::matchTemplate(tg(grown(inner, reach, t.size())), gg(inner), scores, cv::TM_SQDIFF);
        double lowest = 0;
        cv::Point at;
        cv::minMaxLoc(scores, &lowest, nullptr, &at, nullptr);
        // On a tie (a flat centre) no shift is better than any other: keep none.
        if (scores.at<float>(reach, reach) <= lowest * 1.0001f + 1e-3f) return;
        *dx = at.x - reach;
        *dy = at.y - reach;
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
