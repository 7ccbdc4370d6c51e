using System.Globalization;
using System.Net;
using System.Text;
using QcPipeline.Core.Reports;
using QcPipeline.Vision.Defects;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Inspection;

/// <summary>deeppcb.score's section of report.html: the protocol's figures and the confusion matrix of types.</summary>
internal static class DeepPcbReport
{
    public static ReportSection Section(DeepPcbScore score) => new() { Id = "deeppcb-scores", Title = "DeepPCB scores", Html = Render(score) };

    public static string Render(DeepPcbScore s)
    {
        var ci = CultureInfo.InvariantCulture;
        var html = new StringBuilder();
        html.Append("<p class=\"note\">The data set's protocol: ground truth in file order, each matched to the first unmatched detection with IoU &gt; 0.33 (typed: of the same type). ")
            .Append(s.Boards.ToString(ci)).Append(" boards, ").Append(s.BoardsPerSecond.ToString("F1", ci)).Append(" boards/s.</p>");
        html.Append("<table><tr><th></th><th>precision</th><th>recall</th><th>F-score</th><th>AP</th><th>matched</th><th>detections</th><th>ground truth</th></tr>");
        void Row(string name, ProtocolScores p) => html.Append(ci, $"<tr><td>{E(name)}</td><td>{p.Precision:F3}</td><td>{p.Recall:F3}</td><td>{p.F:F3}</td><td>{p.AP:F3}</td><td>{p.Matches}</td><td>{p.Detections}</td><td>{p.Truths}</td></tr>");
        Row("class-agnostic", s.Agnostic);
        Row("typed (AP: mAP)", s.Typed);
        foreach (var (type, p) in s.PerType) Row(type, p);
        html.Append("</table>");
        var columns = DefectTypes.DeepPcb.Select(DefectTypes.Name).Append("missed").ToList();
        html.Append("<h3>Confusion of types</h3><p class=\"note\">Rows: ground truth; columns: the type of its class-agnostic match. The row \"false\" counts detections that matched nothing.</p><table><tr><th></th>");
        foreach (var c in columns) html.Append("<th>").Append(E(c)).Append("</th>");
        html.Append("</tr>");
        foreach (var row in DefectTypes.DeepPcb.Select(DefectTypes.Name).Append("false"))
        {
            html.Append("<tr><td>").Append(E(row)).Append("</td>");
            foreach (var c in columns)
                html.Append("<td>").Append(s.Confusion.TryGetValue(row, out var r) && r.TryGetValue(c, out var n) ? n.ToString(ci) : "").Append("</td>");
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
