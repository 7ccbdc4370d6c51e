// The boundary between C callers and C++: every export runs its body through qcv::guarded,
// which turns any exception into a status code and a per-thread one-line message.
#pragma once
#include "qcvision.h"
#include <opencv2/core.hpp>
#include <new>
#include <stdexcept>
#include <string>

struct qcv_mat { cv::Mat mat; };

namespace qcv {

// Bad input found by our own validation (not by OpenCV).
struct argument_error : std::runtime_error { using std::runtime_error::runtime_error; };
struct decode_error : std::runtime_error { using std::runtime_error::runtime_error; };

void set_error(const std::string& message);

template <class Body>
int guarded(Body&& body) noexcept
{
    try {
        body();
        return QCV_OK;
    } catch (const argument_error& e) {
        set_error(e.what());
        return QCV_ERR_ARGUMENT;
    } catch (const decode_error& e) {
        set_error(e.what());
        return QCV_ERR_DECODE;
    } catch (const cv::Exception& e) {
        // what() is a multi-line dump with source paths; keep the one line a user can act on.
        set_error("OpenCV: " + e.err + (e.func.empty() ? "" : " (in " + e.func + ")"));
        return QCV_ERR_OPENCV;
    } catch (const std::bad_alloc&) {
        set_error("out of memory");
        return QCV_ERR_MEMORY;
    } catch (const std::exception& e) {
        set_error(e.what());
        return QCV_ERR_INTERNAL;
    } catch (...) {
        set_error("unknown native error");
        return QCV_ERR_INTERNAL;
    }
}

const cv::Mat& need(const qcv_mat* mat, const char* what);
void need_out(const void* out, const char* what);
// The rectangle must lie fully inside the image and be non-empty.
cv::Rect need_inside(const cv::Mat& image, qcv_rect rect, const char* what);
// Wraps a Mat into a new opaque handle (header only; pixels are shared by refcount).
qcv_mat* wrap(cv::Mat mat);
// A single-channel view or conversion of a crop, for checks that work on grey levels.
cv::Mat to_gray(const cv::Mat& crop);

} // namespace qcv
