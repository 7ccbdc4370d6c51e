// Decode benchmark behind the choice in decode.cpp. Build and run:
//   g++ -O2 -I/usr/include/opencv4 bench_decode.cpp -o /tmp/bench_decode -lopencv_core -lopencv_imgproc -lopencv_imgcodecs -lturbojpeg
//   /tmp/bench_decode some1080p.jpg some640.jpg
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <turbojpeg.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>
static std::vector<uchar> readAll(const char* p){std::ifstream f(p,std::ios::binary);return {std::istreambuf_iterator<char>(f),{}};}
int main(int argc,char**argv){
  cv::setNumThreads(1);
  for(int i=1;i<argc;i++){
    auto bytes=readAll(argv[i]);
    for(int gray=0;gray<2;gray++){
      int n=60; cv::Mat m;
      auto t0=std::chrono::steady_clock::now();
      for(int k=0;k<n;k++) m=cv::imdecode(bytes, gray?cv::IMREAD_GRAYSCALE:cv::IMREAD_COLOR);
      auto t1=std::chrono::steady_clock::now();
      tjhandle h=tjInitDecompress(); int w,hh,ss,cs; tjDecompressHeader3(h,bytes.data(),bytes.size(),&w,&hh,&ss,&cs);
      cv::Mat t(hh,w,gray?CV_8UC1:CV_8UC3);
      for(int k=0;k<n;k++) tjDecompress2(h,bytes.data(),bytes.size(),t.data,w,0,hh,gray?TJPF_GRAY:TJPF_BGR,TJFLAG_FASTDCT*0);
      auto t2=std::chrono::steady_clock::now(); tjDestroy(h);
      double a=std::chrono::duration<double,std::milli>(t1-t0).count()/n, b=std::chrono::duration<double,std::milli>(t2-t1).count()/n;
      printf("%s %dx%d %s imdecode %.2f ms turbojpeg %.2f ms maxdiff %g\n",argv[i],m.cols,m.rows,gray?"gray":"color",a,b,cv::norm(m,t,cv::NORM_INF));
    }
  }
}
